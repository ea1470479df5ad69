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

    /// <summary>How a data-parallel job splits the global (CLIP) part (<see cref="Model.Negatives"/>).</summary>
    public Negatives Negatives { get; init; } = Negatives.Local;

    public LossOutput Compute(ObjectiveInputs inputs)
    {
        var (o, ranks) = (inputs.Outputs, inputs.Ranks);
        Objectives.CheckTokenOutputs(o);
        using var scope = torch.NewDisposeScope();
        var global = ClipObjective.Share(inputs, Negatives);
        // The fine-grained loss pairs each caption only with its own image, so it needs no gather: each rank sums
        // its own terms and divides by the ranks' summed token count — its share of the global mean. With global
        // negatives the ranks' sums are added up first, as the whole-loss form every rank computes.
        var (sums, count) = FineGrainedSums(o.PatchTokens, o.TokenFeatures, o.TokenMask, fineTemperature);
        var tokens = ranks.Size == 1 ? count : torch.tensor(ranks.AllGather(count.ToDouble()).Sum(), count.dtype, count.device);
        var fine = ranks.Size == 1 || Negatives == Negatives.Local
            ? (sums[0] / tokens + sums[1] / tokens) / 2
            : ranks.ShareOfReplicated(
                (ranks.SumAcrossRanks(sums[0]) / tokens + ranks.SumAcrossRanks(sums[1]) / tokens) / 2);
        var total = globalWeight * global + fineWeight * fine;
        return Objectives.Escape(total, new Dictionary<string, Tensor> { ["clip"] = global, ["fine"] = fine });
    }

    /// <summary>SPARC's fine-grained loss for matching pairs: patches [B, N, E], tokens [B, S, E], valid [B, S].</summary>
    public static Tensor FineGrained(Tensor patches, Tensor tokens, Tensor valid, double temperature)
    {
        using var scope = torch.NewDisposeScope();
        var (sums, count) = FineGrainedSums(patches, tokens, valid, temperature);
        return ((sums[0] / count + sums[1] / count) / 2).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The two directions' summed negative log-likelihoods over the valid tokens (c_k against the caption's tokens,
    /// and tokens against the c_k) and the number of valid tokens: the loss is their mean, (Σ₁/n + Σ₂/n)/2.
    /// </summary>
    private static (Tensor[] Sums, Tensor Count) FineGrainedSums(Tensor patches, Tensor tokens, Tensor valid, double temperature)
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
            return -(logp.masked_fill(valid.logical_not(), 0.0) * validF).sum();
        }
        Tensor[] sums = [Direction(logits).MoveToOuterDisposeScope(), Direction(logits.transpose(1, 2)).MoveToOuterDisposeScope()];
        return (sums, validF.sum().MoveToOuterDisposeScope());
    }
}
