using System.Text.Json.Serialization;

namespace PowerClip.Model;

/// <summary>Which reading of ζ NLA-T2 uses (method.md §4, open point; both selectable).</summary>
public enum ZetaReading
{
    /// <summary>Λ_ζ(y) = y/2 + ζ·log cosh(y/2): ζ = 1 gives the upper bound U_τ, ζ = 0 the lower bound L_τ.</summary>
    ZetaWeightsLogCosh,
    /// <summary>Λ(y) = y/2 + (1−ζ)·log cosh(y/2): ζ weights the lower bound (ζ = 1 → L_τ, ζ = 0 → U_τ).</summary>
    ZetaWeightsLower,
}

/// <summary>
/// How S̄ is scaled before the triplet loss (PowerClip.Math ScoreScale). [reconstructed] The paper does not say.
/// </summary>
public enum ScoreScale
{
    /// <summary>S̄ as written in method.md: the subset terms are sums over up to M region scores.</summary>
    Sum,
    /// <summary>S̄ / M for the subset aggregations (a per-region average; = Sum with λ/M and δ·M); the single-region forms of "w/o subsets" are not divided.</summary>
    RegionMean,
}

/// <summary>How the powerset aggregations are computed.</summary>
public enum PowersetAggregation
{
    /// <summary>The non-linear aggregators NLA-T1 (T2R) and NLA-T2 (R2T): O(M·|𝒯|) per pair; what training uses.</summary>
    Nla,
    /// <summary>Exact enumeration of all 2^M region subsets (Q→, Q←): for validation with small M.</summary>
    Exact,
}

/// <summary>
/// The PowerCLIP objective's settings: L = L_CLIP + λ·(ℓ_δ(S̄) + ℓ_δ(S̄ᵀ)) with S̄ = T2R + R2T.
/// Paper values: λ = 0.2, τ ≈ 1e-3, ζ = 0.75. [reconstructed] δ = 0.2: the margin is unpublished; the loss
/// is VSE++'s max-of-hinges (hardest-negative) triplet, whose authors use 0.2, so we take theirs.
/// [reconstructed] ζ reading: ZetaWeightsLower by default, so the paper's ζ = 0.75 puts weight 0.25 on
/// log cosh — the weight a brute-force check against Q̃→_τ favours (method.md §4).
/// [reconstructed] Scale = RegionMean: S̄ divided by M. The literal sum grows with M, and with λ = δ = 0.2 its
/// triplet gradient is ~25× CLIP's at initialisation and training collapses (docs/demo.md, measured);
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

    /// <summary>Ablation "w/o subsets" when false: single regions instead of region subsets ([reconstructed] form, see PowerClipScores).</summary>
    public bool UseSubsets { get; init; } = true;
    /// <summary>Ablation "w/o tree" when false: every word is its own node; no phrase nodes.</summary>
    public bool UseTree { get; init; } = true;
    /// <summary>Ablation "w/o R2T" when false: S̄ has no region→text term (NLA-T2 / Q→).</summary>
    public bool UseR2T { get; init; } = true;
    /// <summary>Ablation "w/o T2R" when false: S̄ has no text→region term (NLA-T1 / Q←).</summary>
    public bool UseT2R { get; init; } = true;
    /// <summary>Ablation "w/o triplet" when false: the loss is CLIP's alone.</summary>
    public bool UseTriplet { get; init; } = true;

    /// <summary>Largest S1-sized intermediate (entries) one chunk of image rows may create; bounds the loss's memory.</summary>
    public long ChunkElements { get; init; } = 1L << 22;
    /// <summary>Exact aggregation refuses more regions than this (it creates 2^M subsets).</summary>
    public int MaxExactRegions { get; init; } = 16;

    /// <summary>What S̄ is divided by for M regions under <see cref="Scale"/>.</summary>
    public double ScoreDivisor(long regions) => Scale == ScoreScale.RegionMean && UseSubsets ? regions : 1.0;

    /// <summary>Log-cosh weight in Λ (ζ or 1 − ζ, by the reading).</summary>
    [JsonIgnore]
    public double LogCoshWeight => Reading == ZetaReading.ZetaWeightsLogCosh ? Zeta : 1 - Zeta;

    public PowerClipLossConfig Validate()
    {
        void Need(bool ok, string what) { if (!ok) throw new ArgumentException($"PowerCLIP loss config: {what}"); }
        Need(Lambda >= 0 && double.IsFinite(Lambda), $"λ must be a finite number ≥ 0, got {Lambda}");
        Need(double.IsFinite(Delta), $"δ must be finite, got {Delta}");
        Need(Tau > 0 && double.IsFinite(Tau), $"τ must be > 0, got {Tau}");
        Need(Zeta >= 0 && Zeta <= 1, $"ζ must be in [0, 1], got {Zeta}");
        Need(UseR2T || UseT2R, "switching off both R2T and T2R leaves nothing to align (use UseTriplet = false for plain CLIP)");
        Need(ChunkElements > 0, $"ChunkElements must be > 0, got {ChunkElements}");
        Need(MaxExactRegions is > 0 and <= 24, $"MaxExactRegions must be in [1, 24], got {MaxExactRegions}");
        return this;
    }
}
