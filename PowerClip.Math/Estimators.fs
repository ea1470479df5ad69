namespace PowerClip.Spec

/// A Monte Carlo estimate with its Hoeffding half-width: P(|Estimate − Q→| ≥ HalfWidth) ≤ 1 − Confidence.
type MonteCarloEstimate = { Estimate: float; HalfWidth: float; Confidence: float; Samples: int; Seed: int }

/// Estimators beyond the paper, all linear in M (item 3 of issue 3).
module Estimators =

    /// The subsets the Monte Carlo estimator draws: `samples` membership vectors over `regions`, each region in
    /// with probability ½, from System.Random(seed) in the order sample-major, region-minor (the Model's
    /// `--r2t monte-carlo:K` draws the same). For NonEmptySubsets an empty draw is drawn again.
    let monteCarloSubsets (range: SubsetRange) (samples: int) (seed: int) (regions: int) : bool[][] =
        if samples < 1 then raise (System.ArgumentException $"Monte Carlo needs at least 1 sample, got {samples}")
        if regions < 1 then raise (System.ArgumentException $"Monte Carlo needs at least 1 region, got {regions}")
        let rng = System.Random seed
        let rec draw () =
            let a = Array.init regions (fun _ -> rng.Next 2 = 1)
            if range = NonEmptySubsets && not (Array.contains true a) then draw () else a
        Array.init samples (fun _ -> draw ())

    /// The definitions, generic over the number type (Scalar.fs); the float functions below instantiate them.
    module Generic =

        /// Q← exactly in O(M·|𝒯|): Q is additive over regions, so max_A Σ_{m∈A} S1[m,B] = Σ_m relu(S1[m,B])
        /// (the empty set scores 0). This is NLA-T1's τ → 0 limit. relu(0) picks the constant 0 (derivative 0,
        /// torch's relu'(0)).
        let inline t2rRelu (s0: ^T[,]) (tree: ParseTree) : ^T =
            let s1 = Similarity.s1 s0 tree
            let regions, nodes = Array2D.length1 s1, Array2D.length2 s1
            Array.init nodes (fun b ->
                let mutable acc = num 0.0
                for m in 0 .. regions - 1 do acc <- acc + maxOf (num 0.0) s1[m, b]
                acc)
            |> Array.average

        /// Second-order (delta-method) estimate of Q̃→_τ = E_A f(Q[A,·]) with f = LSE_τ over nodes.
        /// With ξ_m ~ Bernoulli(½) i.i.d., Q[A,B] = Σ_m ξ_m S1[m,B] has mean μ_B = ½Σ_m S1[m,B] and covariance
        /// Σ = ¼ Σ_m S1[m,·]S1[m,·]ᵀ; f's Hessian at μ is (diag p − ppᵀ)/τ with p = softmax(μ/τ), so
        /// E f ≈ f(μ) + ½tr(HΣ) = L_τ + (1/8τ) Σ_m Var_p(S1[m,·]). The correction is ≥ 0 because each Var_p is a
        /// variance (equivalently, the Hessian of the convex f is positive semi-definite); it is capped at U_τ,
        /// which bounds Q̃→_τ from above, because at small τ and near-ties 1/τ makes it overshoot.
        let inline r2tDelta (tau: ^T) (s0: ^T[,]) (tree: ParseTree) : ^T =
            Validate.tau (float tau)
            let s1 = Similarity.s1 s0 tree
            let regions, nodes = Array2D.length1 s1, Array2D.length2 s1
            let mu = Array.init nodes (fun b -> num 0.5 * Array.sum s1[*, b])
            let lse = Numerics.lseTau tau mu
            let p = mu |> Array.map (fun x -> exp ((x - lse) / tau))
            let variance m =
                let mean = Array.fold2 (fun acc pb b -> acc + pb * s1[m, b]) (num 0.0) p [| 0 .. nodes - 1 |]
                let squared pb b = let d = s1[m, b] - mean in pb * (d * d)
                Array.fold2 (fun acc pb b -> acc + squared pb b) (num 0.0) p [| 0 .. nodes - 1 |]
            let correction = (Array.sumBy variance [| 0 .. regions - 1 |]) / (num 8.0 * tau)
            minOf (lse + correction) (Nla.Generic.upper tau s0 tree)

        /// Q→ estimated on given subsets (membership vectors): the mean over them of max_B Σ_{m∈A} S1[m,B].
        let inline r2tOnSubsets (subsets: bool[][]) (s0: ^T[,]) (tree: ParseTree) : ^T =
            let s1 = Similarity.s1 s0 tree
            let regions, nodes = Array2D.length1 s1, Array2D.length2 s1
            let best (inA: bool[]) =
                if inA.Length <> regions then
                    raise (System.ArgumentException $"a subset has {inA.Length} memberships for {regions} regions")
                Array.init nodes (fun b ->
                    let mutable q = num 0.0
                    for m in 0 .. regions - 1 do
                        if inA[m] then q <- q + s1[m, b]
                    q)
                |> maxElement
            Array.averageBy best subsets

    let t2rRelu (s0: float[,]) (tree: ParseTree) : float = Generic.t2rRelu s0 tree

    let r2tDelta (tau: float) (s0: float[,]) (tree: ParseTree) : float = Generic.r2tDelta tau s0 tree

    /// Hoeffding half-width for the mean of n values in [lo, hi] at the given confidence.
    let hoeffdingHalfWidth (lo: float) (hi: float) (samples: int) (confidence: float) : float =
        (hi - lo) * sqrt (log (2.0 / (1.0 - confidence)) / (2.0 * float samples))

    /// Monte Carlo Q→ over `samples` subsets of the range drawn uniformly (monteCarloSubsets), seeded.
    /// Every value max_B Q[A,B] lies in [lo, hi] with lo = max_B Σ_m min(0, S1[m,B]) and
    /// hi = max_B Σ_m relu(S1[m,B]), so Hoeffding gives the stated half-width. Cost O(samples·M·|𝒯|).
    let r2tMonteCarloOver
        (range: SubsetRange) (samples: int) (seed: int) (confidence: float) (s0: float[,]) (tree: ParseTree)
        : MonteCarloEstimate =
        if not (confidence > 0.0 && confidence < 1.0) then
            raise (System.ArgumentException $"confidence must lie in (0, 1), got {confidence}")
        let s1 = Similarity.s1 s0 tree
        let subsets = monteCarloSubsets range samples seed (Array2D.length1 s1)
        let bound f = Array.init (Array2D.length2 s1) (fun b -> Array.sumBy f s1[*, b]) |> Array.max
        let lo, hi = bound (min 0.0), bound (max 0.0)
        { Estimate = Generic.r2tOnSubsets subsets s0 tree
          HalfWidth = hoeffdingHalfWidth lo hi samples confidence
          Confidence = confidence
          Samples = samples
          Seed = seed }

    /// Monte Carlo Q→ over all subsets (the paper's range).
    let r2tMonteCarlo (samples: int) (seed: int) (confidence: float) (s0: float[,]) (tree: ParseTree)
        : MonteCarloEstimate =
        r2tMonteCarloOver AllSubsets samples seed confidence s0 tree
