namespace PowerClip.Spec

/// Which reading of ζ NLA-T2 uses. [reconstructed] The paper says only that ζ interpolates between an upper and
/// a lower bound (U_τ and L_τ here); three readings are consistent with that.
type ZetaReading =
    /// Λ_ζ(x) = x/2 + ζ·log cosh(x/2): ζ = 0 gives L_τ, ζ = 1 gives U_τ.
    | ZetaWeightsLogCosh
    /// Λ(x) = x/2 + (1−ζ)·log cosh(x/2): ζ = 1 gives L_τ, ζ = 0 gives U_τ.
    | ZetaWeightsLower
    /// The values interpolated, not the activation: ζ·U_τ + (1 − ζ)·L_τ (ζ = 0 gives L_τ, ζ = 1 gives U_τ).
    | LinearInterpolation

/// The non-linear aggregators (linear in M): NLA-T1 for T2R, NLA-T2 and its bounds for R2T.
module Nla =

    /// Default reading [reconstructed]: ζ weights the lower bound, so the paper's ζ = 0.75 puts weight 0.25 on
    /// log cosh. Chosen by ranking fidelity against the exact R2T within batches (the hardest negative the triplet
    /// loss uses, Spearman within rows and columns, the triplet loss's error), where at ζ = 0.75 it beats the other
    /// two readings (proofs/approximation-study.md). Not by Pearson r over pairs: by MAE and ζ* CLIP-like inputs
    /// favour log cosh weight ≈ 0, and the r differences are below 3e-4.
    let defaultReading : ZetaReading = ZetaWeightsLower

    /// The paper's ζ.
    let defaultZeta : float = 0.75

    /// The weight w of the log cosh term in Λ for a given ζ and reading; None for the linear interpolation,
    /// which mixes the two bounds' values instead of weighting a term of Λ.
    let logCoshWeight (reading: ZetaReading) (zeta: float) : float option =
        Validate.zeta zeta
        match reading with
        | ZetaWeightsLogCosh -> Some zeta
        | ZetaWeightsLower -> Some (1.0 - zeta)
        | LinearInterpolation -> None

    /// The definitions, generic over the number type (Scalar.fs); the float functions below instantiate them.
    module Generic =

        /// Λ(y) = y/2 + w·log cosh(y/2), the residual antiderivative of ½(1 + w·tanh(s/2)).
        let inline residualAntiderivative (w: ^T) (y: ^T) : ^T = num 0.5 * y + w * Numerics.logCosh (num 0.5 * y)

        /// τ·log Σ_B exp(Σ_m Λ_w(S1[m,B]/τ)): the three-layer form shared by U_τ (w = 1), L_τ (w = 0) and NLA-T2.
        let inline aggregate (tau: ^T) (w: ^T) (s0: ^T[,]) (tree: ParseTree) : ^T =
            Validate.tau (float tau)
            let s1 = Similarity.s1 s0 tree
            let regions, nodes = Array2D.length1 s1, Array2D.length2 s1
            let z = Array.init nodes (fun b ->
                let mutable acc = num 0.0
                for m in 0 .. regions - 1 do acc <- acc + residualAntiderivative w (s1[m, b] / tau)
                acc)
            tau * Numerics.logSumExp z

        /// NLA-T1 = mean_B Σ_m sp_τ(S1[m,B]): the softplus-smoothed T2R (Theorem 1).
        let inline t1 (tau: ^T) (s0: ^T[,]) (tree: ParseTree) : ^T =
            Validate.tau (float tau)
            let s1 = Similarity.s1 s0 tree
            let regions, nodes = Array2D.length1 s1, Array2D.length2 s1
            let perNode b =
                let mutable acc = num 0.0
                for m in 0 .. regions - 1 do acc <- acc + Numerics.softplusTau tau s1[m, b]
                acc
            Array.init nodes perNode |> Array.average

        /// U_τ = τ·log Σ_B Π_m (1 + e^{S1[m,B]/τ})/2 ≥ Q̃→_τ (Jensen on log, then Lemma B.1).
        let inline upper (tau: ^T) (s0: ^T[,]) (tree: ParseTree) : ^T = aggregate tau (num 1.0) s0 tree

        /// L_τ = τ·log Σ_B exp(Σ_m S1[m,B]/(2τ)) ≤ Q̃→_τ (Jensen on the convex LSE).
        let inline lower (tau: ^T) (s0: ^T[,]) (tree: ParseTree) : ^T = aggregate tau (num 0.0) s0 tree

        /// NLA-T2 in the given reading of ζ, between L_τ and U_τ (Theorem 2).
        let inline t2 (tau: ^T) (zeta: ^T) (reading: ZetaReading) (s0: ^T[,]) (tree: ParseTree) : ^T =
            Validate.zeta (float zeta)
            match reading with
            | ZetaWeightsLogCosh -> aggregate tau zeta s0 tree
            | ZetaWeightsLower -> aggregate tau (num 1.0 - zeta) s0 tree
            | LinearInterpolation -> zeta * upper tau s0 tree + (num 1.0 - zeta) * lower tau s0 tree

        /// An R2T estimate of the all-subsets LSE-relaxed Q̃→_τ carried to a subset range: the same value for all
        /// subsets; (2^M·x − τ·log|𝒯|)/(2^M − 1) for the non-empty ones, because the empty set's LSE is
        /// τ·log|𝒯| (proofs/r2t-subsets.md). Bounds and Theorem 2's ζ* carry over (the map is increasing).
        let inline overRange (range: SubsetRange) (tau: ^T) (regions: int) (tree: ParseTree) (estimate: ^T) : ^T =
            match range with
            | AllSubsets -> estimate
            | NonEmptySubsets ->
                Powerset.Generic.nonEmptyFromAll regions (tau * num (log (float tree.Nodes.Length))) estimate

    let t1 (tau: float) (s0: float[,]) (tree: ParseTree) : float = Generic.t1 tau s0 tree

    let upper (tau: float) (s0: float[,]) (tree: ParseTree) : float = Generic.upper tau s0 tree

    let lower (tau: float) (s0: float[,]) (tree: ParseTree) : float = Generic.lower tau s0 tree

    /// NLA-T2 = τ·log Σ_B exp(Σ_m Λ_ζ(S1[m,B]/τ)) in the log cosh readings, ζ·U_τ + (1 − ζ)·L_τ in the linear one.
    let t2 (tau: float) (zeta: float) (reading: ZetaReading) (s0: float[,]) (tree: ParseTree) : float =
        Generic.t2 tau zeta reading s0 tree

    /// NLA-T2 over a subset range (Generic.overRange).
    let t2Over (range: SubsetRange) (tau: float) (zeta: float) (reading: ZetaReading) (s0: float[,]) (tree: ParseTree)
        : float =
        Generic.t2 tau zeta reading s0 tree |> Generic.overRange range tau (Array2D.length1 s0) tree

    /// The ζ at which NLA-T2 equals target (Theorem 2's ζ* when target = Q̃→_τ): by bisection on the continuous
    /// monotone map w ↦ N_w to within 2^-60 in the log cosh readings, by solving ζ·U + (1−ζ)·L = target in the
    /// linear one; None when target lies outside [L_τ, U_τ] by more than rounding (1e-9 relative: a target
    /// computed by 2^M-term sums can miss an end it equals, e.g. L_τ with one node).
    let zetaFor (tau: float) (reading: ZetaReading) (target: float) (s0: float[,]) (tree: ParseTree) : float option =
        let value w = Generic.aggregate tau w s0 tree
        let lo, hi = value 0.0, value 1.0
        let rounding = 1e-9 * (1.0 + abs target)
        if not (lo - rounding <= target && target <= hi + rounding) then None
        else
            let rec bisect lo hi k =
                let mid = 0.5 * (lo + hi)
                if k = 0 then mid elif value mid < target then bisect mid hi (k - 1) else bisect lo mid (k - 1)
            match reading with
            | ZetaWeightsLogCosh -> Some (bisect 0.0 1.0 60)
            | ZetaWeightsLower -> Some (1.0 - bisect 0.0 1.0 60)
            | LinearInterpolation ->
                Some (if hi - lo <= 0.0 then 0.0 else (target - lo) / (hi - lo) |> max 0.0 |> min 1.0)
