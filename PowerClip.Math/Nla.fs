namespace PowerClip.Spec

/// Which reading of ζ NLA-T2 uses: ζ weights the log cosh (upper-bound) term, or ζ weights the lower bound.
/// [reconstructed] The paper says only that ζ interpolates between an upper and a lower bound.
type ZetaReading =
    /// Λ_ζ(x) = x/2 + ζ·log cosh(x/2): ζ = 0 gives L_τ, ζ = 1 gives U_τ.
    | ZetaWeightsLogCosh
    /// Λ_ζ(x) = x/2 + (1−ζ)·log cosh(x/2): ζ = 1 gives L_τ, ζ = 0 gives U_τ.
    | ZetaWeightsLower

/// The non-linear aggregators (linear in M): NLA-T1 for T2R, NLA-T2 and its bounds for R2T.
module Nla =

    /// Default reading [reconstructed]: ζ weights the lower bound, so the paper's ζ = 0.75 puts weight
    /// 0.25 on log cosh, the weight a brute-force correlation check favoured; both clues then agree.
    let defaultReading : ZetaReading = ZetaWeightsLower

    /// The paper's ζ.
    let defaultZeta : float = 0.75

    /// The weight w of the log cosh term in Λ for a given ζ and reading.
    let logCoshWeight (reading: ZetaReading) (zeta: float) : float =
        Validate.zeta zeta
        match reading with
        | ZetaWeightsLogCosh -> zeta
        | ZetaWeightsLower -> 1.0 - zeta

    /// Λ(y) = y/2 + w·log cosh(y/2), the residual antiderivative of ½(1 + w·tanh(s/2)).
    let residualAntiderivative (w: float) (y: float) : float = 0.5 * y + w * Numerics.logCosh (0.5 * y)

    /// τ·log Σ_B exp(Σ_m Λ_w(S1[m,B]/τ)): the three-layer form shared by U_τ, L_τ and NLA-T2.
    let private aggregate (tau: float) (w: float) (s0: float[,]) (tree: ParseTree) : float =
        Validate.tau tau
        let s1 = Similarity.s1 s0 tree
        let regions, nodes = Array2D.length1 s1, Array2D.length2 s1
        let z = Array.init nodes (fun b ->
            let mutable acc = 0.0
            for m in 0 .. regions - 1 do acc <- acc + residualAntiderivative w (s1[m, b] / tau)
            acc)
        tau * Numerics.logSumExp z

    /// NLA-T1 = mean_B Σ_m sp_τ(S1[m,B]): the softplus-smoothed T2R (Theorem 1).
    let t1 (tau: float) (s0: float[,]) (tree: ParseTree) : float =
        Validate.tau tau
        let s1 = Similarity.s1 s0 tree
        let regions, nodes = Array2D.length1 s1, Array2D.length2 s1
        let perNode b =
            let mutable acc = 0.0
            for m in 0 .. regions - 1 do acc <- acc + Numerics.softplusTau tau s1[m, b]
            acc
        Array.init nodes perNode |> Array.average

    /// U_τ = τ·log Σ_B Π_m (1 + e^{S1[m,B]/τ})/2 ≥ Q̃→_τ (Jensen on log, then Lemma B.1).
    let upper (tau: float) (s0: float[,]) (tree: ParseTree) : float = aggregate tau 1.0 s0 tree

    /// L_τ = τ·log Σ_B exp(Σ_m S1[m,B]/(2τ)) ≤ Q̃→_τ (Jensen on the convex LSE).
    let lower (tau: float) (s0: float[,]) (tree: ParseTree) : float = aggregate tau 0.0 s0 tree

    /// NLA-T2 = τ·log Σ_B exp(Σ_m Λ_ζ(S1[m,B]/τ)), between L_τ and U_τ (Theorem 2).
    let t2 (tau: float) (zeta: float) (reading: ZetaReading) (s0: float[,]) (tree: ParseTree) : float =
        aggregate tau (logCoshWeight reading zeta) s0 tree

    /// The ζ at which NLA-T2 equals target (Theorem 2's ζ* when target = Q̃→_τ), by bisection on the continuous
    /// monotone map ζ ↦ NLA-T2 to within 2^-60; None when target lies outside [L_τ, U_τ] by more than rounding
    /// (1e-9 relative: a target computed by 2^M-term sums can miss an end it equals, e.g. L_τ with one node).
    let zetaFor (tau: float) (reading: ZetaReading) (target: float) (s0: float[,]) (tree: ParseTree) : float option =
        let value w = aggregate tau w s0 tree
        let rounding = 1e-9 * (1.0 + abs target)
        if not (value 0.0 - rounding <= target && target <= value 1.0 + rounding) then None
        else
            let rec bisect lo hi k =
                let mid = 0.5 * (lo + hi)
                if k = 0 then mid elif value mid < target then bisect mid hi (k - 1) else bisect lo mid (k - 1)
            let w = bisect 0.0 1.0 60
            Some (match reading with ZetaWeightsLogCosh -> w | ZetaWeightsLower -> 1.0 - w)
