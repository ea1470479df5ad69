namespace PowerClip.Spec

/// How the pairwise score S̄ = R2T + T2R is scaled before the triplet loss. [reconstructed] The paper does not
/// say; its terms add up to M region scores (Q[A,B] = Σ_{m∈A} S1[m,B]), so S̄ grows with M while CLIP's
/// logits do not, and with λ = 0.2, δ = 0.2 training collapses at CPU scale (docs/demo.md).
type ScoreScale =
    /// S̄ as written in the paper's formulas (docs/method.md): sums over regions.
    | Sum
    /// S̄ / M for the subset aggregations (a per-region average); the single-region forms of the "w/o subsets"
    /// ablation already score one region and are left as they are.
    | RegionMean

module ScoreScale =

    /// Default [reconstructed]: RegionMean, the form that trained in a 40-step single-seed run at λ = δ = 0.2
    /// where the literal sum collapsed (docs/demo.md). RegionMean with (λ, δ) is the literal form with (λ/M, δ·M).
    let defaultScale : ScoreScale = RegionMean

    /// The divisor of S̄ for M regions; usesSubsets = false is the "w/o subsets" ablation.
    let divisor (scale: ScoreScale) (regions: int) (usesSubsets: bool) : float =
        if regions < 1 then raise (System.ArgumentException $"the number of regions must be >= 1, got {regions}")
        match scale with
        | RegionMean when usesSubsets -> float regions
        | _ -> 1.0

    /// S̄ scaled for the triplet loss.
    let inline apply (scale: ScoreScale) (regions: int) (usesSubsets: bool) (score: ^T) : ^T =
        score / num (divisor scale regions usesSubsets)
