using System.Text.Json.Serialization;

namespace PowerClip.Model;

/// <summary>Which reading of ζ NLA-T2 uses ([reconstructed]: the paper says only that ζ interpolates between an upper
/// and a lower bound; docs/method.md §4 lists the readings and why the default is the default).</summary>
public enum ZetaReading
{
    /// <summary>Λ_ζ(y) = y/2 + ζ·log cosh(y/2): ζ = 1 gives the upper bound U_τ, ζ = 0 the lower bound L_τ.</summary>
    ZetaWeightsLogCosh,
    /// <summary>Λ(y) = y/2 + (1−ζ)·log cosh(y/2): ζ weights the lower bound (ζ = 1 → L_τ, ζ = 0 → U_τ).</summary>
    ZetaWeightsLower,
    /// <summary>The bounds' values interpolated: ζ·U_τ + (1 − ζ)·L_τ (ζ = 1 → U_τ, ζ = 0 → L_τ).</summary>
    LinearInterpolation,
}

/// <summary>How the text→region term T2R is computed (`--t2r`).</summary>
public enum T2RMethod
{
    /// <summary>NLA-T1 = mean_B Σ_m sp_τ(S1): the paper's softplus aggregator.</summary>
    Nla,
    /// <summary>mean_B Σ_m relu(S1): exact Q← in O(M) by the ReLU identity (proofs/relu-identity-t2r.md) [ours].
    /// </summary>
    ExactRelu,
}

/// <summary>How the region→text term R2T is computed (`--r2t`).</summary>
public enum R2TMethod
{
    /// <summary>NLA-T2 in the configured ζ reading: the paper's aggregator.</summary>
    NlaT2,
    /// <summary>The mean over K seeded random subsets of max_B Q[A,B], an unbiased estimate of Q→ [ours].</summary>
    MonteCarlo,
}

/// <summary>Which region subsets R2T averages over (`--r2t-subsets`; proofs/r2t-subsets.md).</summary>
public enum SubsetRange
{
    /// <summary>All 2^M subsets, the empty one included (the paper's 2^-M Σ_{A⊆𝓜}).</summary>
    All,
    /// <summary>The 2^M − 1 non-empty subsets [reconstructed alternative].</summary>
    NonEmpty,
}

/// <summary>
/// How S̄ is scaled before the triplet loss (PowerClip.Math ScoreScale). [reconstructed] The paper does not say.
/// </summary>
public enum ScoreScale
{
    /// <summary>S̄ as written in the paper's formulas (docs/method.md §5): the subset terms are sums over up to M
    /// region scores.</summary>
    Sum,
    /// <summary>S̄ / M for the subset aggregations (a per-region average; = Sum with λ/M and δ·M); the single-region
    /// forms of "w/o subsets" are not divided.</summary>
    RegionMean,
}

/// <summary>How the powerset aggregations are computed.</summary>
public enum PowersetAggregation
{
    /// <summary>The non-linear aggregators NLA-T1 (T2R) and NLA-T2 (R2T): O(M·|𝒯|) per pair; what training
    /// uses.</summary>
    Nla,
    /// <summary>Exact enumeration of all 2^M region subsets (Q→, Q←): for validation with small M.</summary>
    Exact,
}

/// <summary>
/// The PowerCLIP objective's settings: L = L_CLIP + λ·(ℓ_δ(S̄) + ℓ_δ(S̄ᵀ)) with S̄ = T2R + R2T.
/// Paper values: λ = 0.2, τ ≈ 1e-3, ζ = 0.75. [reconstructed] δ = 0.2: the margin is unpublished; the loss
/// is VSE++'s max-of-hinges (hardest-negative) triplet, whose authors use 0.2, so we take theirs.
/// [reconstructed] ζ reading: ZetaWeightsLower by default, so the paper's ζ = 0.75 puts weight 0.25 on log cosh.
/// Chosen by ranking fidelity to the exact R2T within batches (hardest negative, Spearman, triplet error;
/// proofs/approximation-study.md): at ζ = 0.75 it beats the other two readings there. Not by Pearson r, on which
/// weight 0.25 leads the lower bound on CLIP-like inputs by at most 5e-5, while by MAE and ζ* those inputs favour
/// log cosh weight ≈ 0.
/// [reconstructed] Scale = RegionMean: S̄ divided by M, which is the literal form with λ/M and δ·M (λ = 0.02,
/// δ = 2 at M = 10). In one 40-step single-seed run the literal sum with λ = δ = 0.2 had a triplet gradient ~25×
/// CLIP's at initialisation and collapsed; in the 800-step grid (3 seeds, docs/demo.md) both forms train and the
/// literal one is ahead within the seed spread; at the demo's 4,000 steps (same grid) all 36 runs train, nothing is
/// significant over the seeds and this default has the highest mean zero-shot top-1 of the 12 configurations.
/// Scale = Sum gives the literal form.
/// </summary>
public sealed record PowerClipLossConfig
{
    public double Lambda { get; init; } = 0.2;
    public double Delta { get; init; } = 0.2;
    public double Tau { get; init; } = 1e-3;
    public double Zeta { get; init; } = 0.75;
    public ZetaReading Reading { get; init; } = ZetaReading.ZetaWeightsLower;
    public PowersetAggregation Aggregation { get; init; } = PowersetAggregation.Nla;
    public ScoreScale Scale { get; init; } = ScoreScale.RegionMean;

    /// <summary>T2R: NLA-T1 (default, the paper's) or the exact ReLU form.</summary>
    [JsonPropertyName("t2r")]
    public T2RMethod T2R { get; init; } = T2RMethod.Nla;
    /// <summary>R2T: NLA-T2 (default, the paper's) or Monte Carlo over <see cref="MonteCarloSamples"/> subsets.
    /// </summary>
    [JsonPropertyName("r2t")]
    public R2TMethod R2T { get; init; } = R2TMethod.NlaT2;
    /// <summary>K, the subsets the Monte Carlo R2T draws per loss evaluation (the same K for every pair).</summary>
    public int MonteCarloSamples { get; init; } = 32;
    /// <summary>Seed of the Monte Carlo subsets: System.Random(seed), as PowerClip.Math's monteCarloSubsets.</summary>
    public int MonteCarloSeed { get; init; } = 0;
    /// <summary>Which subsets R2T averages over: all 2^M (default, as the paper writes) or the non-empty ones.
    /// </summary>
    [JsonPropertyName("r2t_subsets")]
    public SubsetRange R2TSubsets { get; init; } = SubsetRange.All;

    /// <summary>Ablation "w/o subsets" when false: single regions instead of region subsets ([reconstructed] form, see
    /// PowerClipScores).</summary>
    public bool UseSubsets { get; init; } = true;
    /// <summary>Ablation "w/o tree" when false: every word is its own node; no phrase nodes.</summary>
    public bool UseTree { get; init; } = true;
    /// <summary>Ablation "w/o R2T" when false: S̄ has no region→text term (NLA-T2 / Q→).</summary>
    [JsonPropertyName("use_r2t")]
    public bool UseR2T { get; init; } = true;
    /// <summary>Ablation "w/o T2R" when false: S̄ has no text→region term (NLA-T1 / Q←).</summary>
    [JsonPropertyName("use_t2r")]
    public bool UseT2R { get; init; } = true;
    /// <summary>Ablation "w/o triplet" when false: the loss is CLIP's alone.</summary>
    public bool UseTriplet { get; init; } = true;

    /// <summary>Largest S1-sized intermediate (entries) one chunk of image rows may create; bounds the loss's
    /// memory.</summary>
    public long ChunkElements { get; init; } = 1L << 22;
    /// <summary>Exact aggregation refuses more regions than this (it creates 2^M subsets).</summary>
    public int MaxExactRegions { get; init; } = 16;

    /// <summary>What S̄ is divided by for M regions under <see cref="Scale"/>.</summary>
    public double ScoreDivisor(long regions) => Scale == ScoreScale.RegionMean && UseSubsets ? regions : 1.0;

    /// <summary>
    /// λ and δ on the paper's literal objective (S̄ not scaled) that this config trains with for M regions: the
    /// triplet term λ·max(0, S̄⁻/d − S̄⁺/d + δ) is (λ/d)·max(0, S̄⁻ − S̄⁺ + δ·d) for S̄'s divisor d.
    /// </summary>
    public LiteralForm LiteralFormAt(long regions)
    {
        var d = ScoreDivisor(regions);
        return new LiteralForm(Lambda / d, Delta * d);
    }

    /// <summary>Log-cosh weight in Λ (ζ or 1 − ζ, by the reading); null for the linear interpolation, which has
    /// none.</summary>
    [JsonIgnore]
    public double? LogCoshWeight => Reading switch
    {
        ZetaReading.ZetaWeightsLogCosh => Zeta,
        ZetaReading.ZetaWeightsLower => 1 - Zeta,
        _ => null,
    };

    public PowerClipLossConfig Validate()
    {
        void Need(bool ok, string what) { if (!ok) throw new ArgumentException($"PowerCLIP loss config: {what}"); }
        Need(Lambda >= 0 && double.IsFinite(Lambda), $"λ must be a finite number ≥ 0, got {Lambda}");
        Need(double.IsFinite(Delta), $"δ must be finite, got {Delta}");
        Need(Tau > 0 && double.IsFinite(Tau), $"τ must be > 0, got {Tau}");
        Need(Zeta >= 0 && Zeta <= 1, $"ζ must be in [0, 1], got {Zeta}");
        Need(UseR2T || UseT2R, "switching off both R2T and T2R leaves nothing to align (use UseTriplet = false for " +
            "plain CLIP)");
        Need(ChunkElements > 0, $"ChunkElements must be > 0, got {ChunkElements}");
        Need(MaxExactRegions is > 0 and <= 24, $"MaxExactRegions must be in [1, 24], got {MaxExactRegions}");
        Need(MonteCarloSamples >= 1, $"the Monte Carlo R2T needs K >= 1 subsets, got {MonteCarloSamples}");
        Need(Enum.IsDefined(Reading) && Enum.IsDefined(T2R) && Enum.IsDefined(R2T) && Enum.IsDefined(R2TSubsets),
            "an unknown reading, T2R, R2T or subset-range value");
        return this;
    }
}

/// <summary>λ and δ as they act on the paper's literal S̄ = NLA-T1 + NLA-T2 (no scaling).</summary>
public sealed record LiteralForm(double Lambda, double Delta);
