using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// SPARC (Bica et al., 2024): global CLIP loss plus a fine-grained loss. Per pair, token–patch
/// similarities are min-max normalized over patches, sparsified with threshold 1/N, renormalized into
/// alignment weights; each token's language-grouped vision embedding c_k = Σ_n a_kn v_n is contrasted
/// with the caption's own tokens (other tokens of the same caption are the negatives), both directions.
/// Defaults (ours; SPARC's exact values are not in our sources): λ_global = λ_fine = 1, τ_fine = 0.07.
/// </summary>
public sealed class SparcObjective(double globalWeight = 1.0, double fineWeight = 1.0, double fineTemperature = 0.07) : IContrastiveObjective
{
    public string Name => "sparc";

    public LossOutput Compute(ObjectiveInputs inputs)
    {
        var o = inputs.Outputs;
        Objectives.CheckTokenOutputs(o);
        using var scope = torch.NewDisposeScope();
        var global = ClipLoss.Compute(o.ImageEmbeds, o.TextEmbeds, o.LogitScale);
        var fine = FineGrained(o.PatchTokens, o.TokenFeatures, o.TokenMask, fineTemperature);
        var total = globalWeight * global + fineWeight * fine;
        return Objectives.Escape(total, new Dictionary<string, Tensor> { ["clip"] = global, ["fine"] = fine });
    }

    /// <summary>SPARC's fine-grained loss for matching pairs: patches [B, N, E], tokens [B, S, E], valid [B, S].</summary>
    public static Tensor FineGrained(Tensor patches, Tensor tokens, Tensor valid, double temperature)
    {
        InputChecks.SameBatch(patches.shape[0], "patch tokens", tokens.shape[0], "token features");
        using var scope = torch.NewDisposeScope();
        var n = patches.shape[1];
        var sim = torch.einsum("bsd,bnd->bsn", nn.functional.normalize(tokens, dim: -1), nn.functional.normalize(patches, dim: -1));
        var lo = sim.amin([-1], keepdim: true);
        var hi = sim.amax([-1], keepdim: true);
        var scaled = (sim - lo) / (hi - lo).clamp_min(1e-12);
        var sparse = scaled.masked_fill(scaled.lt(1.0 / n), 0.0);
        var weights = sparse / sparse.sum(-1, keepdim: true).clamp_min(1e-12);
        var grouped = nn.functional.normalize(torch.matmul(weights, patches), dim: -1);      // c_k [B, S, E]
        var t = nn.functional.normalize(tokens, dim: -1);
        var logits = torch.einsum("bsd,bkd->bsk", grouped, t) / temperature;                 // row: c_s against tokens k
        var invalidCols = valid.logical_not().unsqueeze(1);
        var validF = valid.to(logits.dtype);
        Tensor Direction(Tensor l)
        {
            var logp = l.masked_fill(invalidCols, double.NegativeInfinity).log_softmax(-1).diagonal(0, 1, 2);   // [B, S]
            return -(logp.masked_fill(valid.logical_not(), 0.0) * validF).sum() / validF.sum();
        }
        return ((Direction(logits) + Direction(logits.transpose(1, 2))) / 2).MoveToOuterDisposeScope();
    }
}
