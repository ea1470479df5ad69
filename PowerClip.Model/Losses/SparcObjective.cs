using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>How SPARC's fine-grained loss averages over tokens.</summary>
public enum SparcAveraging
{
    /// <summary>Eq. (6) of the paper: each caption's mean over its tokens, then the mean over captions.</summary>
    PerCaption,
    /// <summary>The paper's Listing 1: Σ(loss · mask) / Σ mask, one mean over every token of the batch.</summary>
    PerToken,
}

/// <summary>
/// SPARC's settings (Bica et al., "Improving fine-grained understanding in image-text pre-training", ICML 2024):
/// L = λ_g·L_g + λ_f·L_f (eq. 7). Sources of each default: docs/baselines.md.
/// </summary>
public sealed record SparcSettings
{
    /// <summary>λ_g = 0.5 [paper, App. D.4].</summary>
    public double GlobalWeight { get; init; } = 0.5;
    /// <summary>λ_f [reconstructed: 0.5; the paper sweeps {0.5, 1, 5, 10} and does not say which it reports].</summary>
    public double FineWeight { get; init; } = 0.5;
    /// <summary>Null: the model's learned temperature, shared with the global loss [paper: eqs. 1 and 6 use one τ,
    /// learned]. A number: a fixed τ_f [ours].</summary>
    public double? FineTemperature { get; init; }
    /// <summary>Null: σ = 1/P for P patches [paper, §2]. A number: a fixed threshold on the min-max normalised
    /// similarity.</summary>
    public double? SparsityThreshold { get; init; }
    /// <summary>Token averaging of L_f: eq. (6) by default [paper]; Listing 1's per-token mean is the
    /// alternative.</summary>
    public SparcAveraging Averaging { get; init; } = SparcAveraging.PerCaption;
    /// <summary>False: s_lp = t_l · v_p on the raw embeddings [paper: eq. (2), Listing 1]. True: on unit vectors (this
    /// project's earlier form) [ours].</summary>
    public bool UnitSimilarity { get; init; }

    public SparcSettings Validate()
    {
        SettingsCheck.Need(GlobalWeight >= 0 && double.IsFinite(GlobalWeight), "SPARC",
            $"global_weight must be a finite number ≥ 0, got {GlobalWeight}");
        SettingsCheck.Need(FineWeight >= 0 && double.IsFinite(FineWeight), "SPARC",
            $"fine_weight must be a finite number ≥ 0, got {FineWeight}");
        SettingsCheck.Need(FineTemperature is null or (> 0 and < double.PositiveInfinity), "SPARC",
            $"fine_temperature must be > 0 (or null: learned), got {FineTemperature}");
        SettingsCheck.Need(SparsityThreshold is null or (>= 0 and < 1), "SPARC",
            $"sparsity_threshold must be in [0, 1) (or null: 1/P), got {SparsityThreshold}");
        return this;
    }
}

/// <summary>
/// SPARC: global CLIP loss plus a fine-grained loss. Per pair, token–patch similarities s_lp = t_l · v_p are
/// min-max normalised over patches (eq. 2), sparsified below σ = 1/P (eq. 3), renormalised into alignment
/// weights (eq. 4); each token's language-grouped vision embedding c_l = Σ_p a_lp v_p (eq. 5) is contrasted
/// with the caption's own tokens (the other tokens of the caption are the negatives), both ways (eq. 6).
/// Not implemented: SPARC's extra non-linear layer h_v before the global vision embedding (ours is the mean
/// of the projected patch tokens, as for every objective here). In a data-parallel job the global part gathers the
/// embeddings; the fine-grained part pairs each caption with its own image only, so each rank sums its own terms and
/// the global mean divides the ranks' summed terms by their summed count (no tokens are gathered).
/// </summary>
public sealed class SparcObjective(SparcSettings settings) : IContrastiveObjective
{
    public SparcObjective() : this(new SparcSettings()) { }

    public SparcSettings Settings { get; } = settings.Validate();

    public string Name => "sparc";

    /// <summary>How a data-parallel job splits the global (CLIP) part (<see cref="Model.Negatives"/>).</summary>
    public Negatives Negatives { get; init; } = Negatives.Local;

    public LossOutput Compute(ObjectiveInputs inputs)
    {
        var (o, ranks) = (inputs.Outputs, inputs.Ranks);
        Objectives.CheckTokenOutputs(o);
        using var scope = torch.NewDisposeScope();
        var global = ClipObjective.Share(inputs, Negatives);
        var inverseTemperature = Settings.FineTemperature is { } t
            ? torch.tensor(1 / t, dtype: o.PatchTokens.dtype, device: o.PatchTokens.device) : o.LogitScale;
        // The fine-grained loss pairs each caption only with its own image, so it needs no gather: each rank sums
        // its own terms and divides by the ranks' summed token count — its share of the global mean. With global
        // negatives the ranks' sums are added up first, as the whole-loss form every rank computes.
        var (sums, count) = FineGrainedSums(o.PatchTokens, o.TokenFeatures, o.TokenMask, inverseTemperature, Settings);
        var n = ranks.Size == 1 ? count
            : torch.tensor(ranks.AllGather(count.ToDouble()).Sum(), count.dtype, count.device);
        var fine = ranks.Size == 1 || Negatives == Negatives.Local
            ? (sums[0] / n + sums[1] / n) / 2
            : ranks.ShareOfReplicated((ranks.SumAcrossRanks(sums[0]) / n + ranks.SumAcrossRanks(sums[1]) / n) / 2);
        var total = Settings.GlobalWeight * global + Settings.FineWeight * fine;
        return Objectives.Escape(total, new Dictionary<string, Tensor> { ["clip"] = global, ["fine"] = fine });
    }

    /// <summary>SPARC's fine-grained loss L_f (eq. 6) for matching pairs: patches [B, N, E], tokens [B, S, E], valid
    /// [B, S], 1/τ (scalar).</summary>
    public static Tensor FineGrained(Tensor patches, Tensor tokens, Tensor valid, Tensor inverseTemperature,
        SparcSettings settings)
    {
        using var scope = torch.NewDisposeScope();
        var (sums, count) = FineGrainedSums(patches, tokens, valid, inverseTemperature, settings);
        return ((sums[0] / count + sums[1] / count) / 2).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// L_f as sums and a count, L_f = (Σ₁/n + Σ₂/n)/2 for the two directions (c_l against the caption's tokens, and
    /// tokens against the c_l): per caption, Σ is the sum over captions of each caption's mean over its tokens and n
    /// the number of captions; per token, Σ is the sum over every valid token and n their number.
    /// </summary>
    private static (Tensor[] Sums, Tensor Count) FineGrainedSums(Tensor patches, Tensor tokens, Tensor valid,
        Tensor inverseTemperature, SparcSettings settings)
    {
        InputChecks.SameBatch(patches.shape[0], "patch tokens", tokens.shape[0], "token features");
        using var scope = torch.NewDisposeScope();
        var n = patches.shape[1];
        var (t0, v0) = settings.UnitSimilarity
            ? (nn.functional.normalize(tokens, dim: -1), nn.functional.normalize(patches, dim: -1)) : (tokens, patches);
        var sim = torch.einsum("bsd,bnd->bsn", t0, v0);
        var lo = sim.amin([-1], keepdim: true);
        var hi = sim.amax([-1], keepdim: true);
        var scaled = (sim - lo) / (hi - lo).clamp_min(1e-12);
        var sparse = scaled.masked_fill(scaled.lt(settings.SparsityThreshold ?? 1.0 / n), 0.0);
        var weights = sparse / sparse.sum(-1, keepdim: true).clamp_min(1e-12);
        var grouped = nn.functional.normalize(torch.matmul(weights, patches), dim: -1);      // c_l [B, S, E]
        var t = nn.functional.normalize(tokens, dim: -1);
        var logits = inverseTemperature * torch.einsum("bsd,bkd->bsk", grouped, t);         // row: c_s against tokens k
        var invalid = valid.logical_not();
        var validF = valid.to(logits.dtype);
        var perToken = settings.Averaging == SparcAveraging.PerToken;
        Tensor Direction(Tensor l)
        {
            var logp = l.masked_fill(invalid.unsqueeze(1), double.NegativeInfinity).log_softmax(-1);
            var nll = -logp.diagonal(0, 1, 2).masked_fill(invalid, 0.0);  // [B, S]
            return (perToken ? nll.sum() : (nll.sum(1) / validF.sum(1).clamp_min(1)).sum()).MoveToOuterDisposeScope();
        }
        Tensor[] sums = [Direction(logits), Direction(logits.transpose(1, 2))];
        var count = perToken ? validF.sum() : torch.tensor((double)patches.shape[0], logits.dtype, logits.device);
        return (sums, count.MoveToOuterDisposeScope());
    }
}
