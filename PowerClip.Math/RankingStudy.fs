namespace PowerClip.Spec

/// Settings of the ranking study: B × B batches, the exact R2T of every pair, and every estimator and reading
/// judged by what the triplet loss uses of them. Seeded: the same settings give the same numbers.
type RankingConfig =
    { Batches: int; BatchSize: int; Regions: int; Taus: float[]; Zetas: float[]; Inputs: BatchModel
      McSamples: int[]; Delta: float; Resamples: int; Seed: int }

/// One estimator on one batch against the exact R2T: mean Spearman correlation within rows (an image's captions)
/// and within columns, the share of rows and of columns whose hardest negative is the exact one's, and the
/// relative error of the triplet loss ℓ_δ(X/M) + ℓ_δ(Xᵀ/M) (NaN when the exact loss is 0).
type BatchFidelity =
    { SpearmanRows: float; SpearmanColumns: float; HardestRows: float; HardestColumns: float
      TripletRelativeError: float }

/// A mean over batches with its seeded percentile-bootstrap 95% interval.
type Interval = { Mean: float; Low: float; High: float; Batches: int }

/// The study's result for one estimator (Tau null for the τ-free Monte Carlo; Reading/Zeta empty/null unless NLA-T2).
type RankingRow =
    { Tau: System.Nullable<float>; Estimator: string; Reading: string; Zeta: System.Nullable<float>
      SpearmanRows: Interval; SpearmanColumns: Interval; HardestRows: Interval; HardestColumns: Interval
      TripletRelativeError: Interval }

module RankingStudy =

    /// Ranks 1..n, ties sharing their average rank.
    let ranks (xs: float[]) : float[] =
        let order = Array.init xs.Length id |> Array.sortBy (fun k -> xs[k])
        let r = Array.zeroCreate xs.Length
        let mutable i = 0
        while i < order.Length do
            let mutable j = i
            while j + 1 < order.Length && xs[order[j + 1]] = xs[order[i]] do j <- j + 1
            for k in i .. j do r[order[k]] <- float (i + j) / 2.0 + 1.0
            i <- j + 1
        r

    /// Spearman's ρ: Pearson's r of the ranks; NaN when either side is constant.
    let spearman (a: float[]) (b: float[]) : float = ApproximationStudy.pearson (ranks a) (ranks b)

    /// The index of the largest entry other than `positive` (the first of equal ones).
    let hardestNegative (line: float[]) (positive: int) : int =
        [| 0 .. line.Length - 1 |] |> Array.filter ((<>) positive) |> Array.maxBy (fun j -> line[j])

    let private meanIgnoringNaN (xs: float[]) : float =
        let ok = xs |> Array.filter (fun x -> not (System.Double.IsNaN x))
        if ok.Length = 0 then nan else Array.average ok

    /// An approximate R2T matrix judged against the exact one (both B × B, M regions, margin δ on X/M).
    let fidelity (delta: float) (regions: int) (exact: float[,]) (approx: float[,]) : BatchFidelity =
        let b = Array2D.length1 exact
        let line (x: float[,]) (rows: bool) (k: int) = if rows then x[k, *] else x[*, k]
        let perLine (rows: bool) (f: float[] -> float[] -> int -> float) =
            Array.init b (fun k -> f (line exact rows k) (line approx rows k) k) |> meanIgnoringNaN
        let agree e a k = if hardestNegative e k = hardestNegative a k then 1.0 else 0.0
        let loss (x: float[,]) =
            let scaled = Array2D.map (fun v -> v / float regions) x
            Losses.triplet delta scaled + Losses.triplet delta (Array2D.init b b (fun i j -> scaled[j, i]))
        let exactLoss = loss exact
        { SpearmanRows = perLine true (fun e a _ -> spearman e a)
          SpearmanColumns = perLine false (fun e a _ -> spearman e a)
          HardestRows = perLine true agree
          HardestColumns = perLine false agree
          TripletRelativeError = if exactLoss = 0.0 then nan else abs (loss approx - exactLoss) / exactLoss }

    /// Mean and 95% percentile-bootstrap interval over batches (NaN values left out), from Random(seed).
    let bootstrap (resamples: int) (seed: int) (values: float[]) : Interval =
        let xs = values |> Array.filter (fun x -> not (System.Double.IsNaN x))
        if xs.Length = 0 then { Mean = nan; Low = nan; High = nan; Batches = 0 }
        else
            let rng = System.Random seed
            let means =
                let resample () = Array.init xs.Length (fun _ -> xs[rng.Next xs.Length]) |> Array.average
                Array.init resamples (fun _ -> resample ()) |> Array.sort
            { Mean = Array.average xs; Low = ApproximationStudy.quantile means 0.025
              High = ApproximationStudy.quantile means 0.975; Batches = xs.Length }

    /// Exact Q→ and, per τ, the LSE-relaxed Q̃→_τ of one pair from a single pass over the 2^M subsets in Gray-code
    /// order (each subset differs from the previous one by one region, so Q[A,·] is updated in O(|𝒯|), not
    /// O(M·|𝒯|); the running sums drift by ≲ 2^M·ε·max|S1| ≈ 1e-12, far below the differences studied).
    let exactAndRelaxed (taus: float[]) (s0: float[,]) (tree: ParseTree) : float * float[] =
        let s1 = Similarity.s1 s0 tree
        let m, nodes = Array2D.length1 s1, Array2D.length2 s1
        Powerset.checkM m
        let q = Array.zeroCreate nodes   // Q[∅,·] = 0
        let mutable exact = 0.0
        let relaxed = Array.zeroCreate taus.Length
        for k in 0 .. (1 <<< m) - 1 do
            if k > 0 then
                // Gray code k ^ (k >> 1) differs from the previous one in the lowest set bit of k.
                let flipped = System.Numerics.BitOperations.TrailingZeroCount k
                let sign = if ((k ^^^ (k >>> 1)) >>> flipped) &&& 1 = 1 then 1.0 else -1.0
                for b in 0 .. nodes - 1 do q[b] <- q[b] + sign * s1[flipped, b]
            let best = Array.max q
            exact <- exact + best
            for t in 0 .. taus.Length - 1 do
                let mutable acc = 0.0
                for b in 0 .. nodes - 1 do acc <- acc + exp ((q[b] - best) / taus[t])
                relaxed[t] <- relaxed[t] + best + taus[t] * log acc
        let n = float (1 <<< m)
        exact / n, relaxed |> Array.map (fun v -> v / n)

    let private readingName (r: ZetaReading) : string =
        match r with ZetaWeightsLower -> "lower" | ZetaWeightsLogCosh -> "logcosh" | LinearInterpolation -> "linear"

    /// Every estimator's B × B matrix for one batch: (τ, name, reading, ζ, matrix), and the exact matrix.
    let estimates (c: RankingConfig) (index: int) (batch: Batch)
        : float[,] * (float option * string * string * float option * float[,])[] =
        let b = c.BatchSize
        let pairs = Array2D.init b b (fun i j -> exactAndRelaxed c.Taus batch.S0[i, j] batch.Trees[j])
        let over (f: float[,] -> ParseTree -> float) = Array2D.init b b (fun i j -> f batch.S0[i, j] batch.Trees[j])
        let exact = pairs |> Array2D.map fst
        let perTau =
            [| for t, tau in Array.indexed c.Taus do
                 yield Some tau, "r2t_lse", "", None, pairs |> Array2D.map (fun p -> (snd p)[t])
                 yield Some tau, "lower", "", None, over (Nla.lower tau)
                 yield Some tau, "upper", "", None, over (Nla.upper tau)
                 yield Some tau, "delta", "", None, over (Estimators.r2tDelta tau)
                 for reading in [ ZetaWeightsLower; ZetaWeightsLogCosh; LinearInterpolation ] do
                     for zeta in c.Zetas do
                         yield Some tau, "nla_t2", readingName reading, Some zeta, over (Nla.t2 tau zeta reading) |]
        let monteCarlo =
            [| for k in c.McSamples ->
                 // The same K subsets for every pair of the batch, as the Model's --r2t monte-carlo:K draws them.
                 let subsets = Estimators.monteCarloSubsets AllSubsets k (c.Seed + index) c.Regions
                 None, $"monte_carlo:{k}", "", None, over (Estimators.Generic.r2tOnSubsets subsets) |]
        exact, Array.append perTau monteCarlo

    let private validate (c: RankingConfig) : unit =
        let fail (m: string) = raise (System.ArgumentException m)
        if c.Batches < 2 then fail $"the ranking study needs at least 2 batches for an interval, got {c.Batches}"
        if c.BatchSize < 3 then
            fail $"batches need at least 3 pairs (a hardest negative and a runner-up), got {c.BatchSize}"
        if c.Regions < 1 || c.Regions > Powerset.MaxRegions then
            fail $"regions must lie in 1..{Powerset.MaxRegions}, got {c.Regions}"
        if c.Taus.Length = 0 || c.Zetas.Length = 0 then fail "the ranking study needs at least one tau and one zeta"
        Array.iter Validate.tau c.Taus
        Array.iter Validate.zeta c.Zetas
        if c.McSamples |> Array.exists (fun k -> k < 1) then fail "Monte Carlo sample counts must be >= 1"
        if c.Resamples < 100 then fail $"the bootstrap needs at least 100 resamples, got {c.Resamples}"
        if not (System.Double.IsFinite c.Delta && c.Delta > 0.0) then fail $"delta must be > 0, got {c.Delta}"

    /// Runs the study: batches drawn in order from Random(Seed), batch k's Monte Carlo from seed Seed + k; each
    /// metric's interval from Random(Seed) resamples of the batches.
    let run (c: RankingConfig) : RankingRow[] =
        validate c
        let rng = System.Random c.Seed
        let batches = Array.init c.Batches (fun _ -> SyntheticBatch.draw c.Inputs rng c.BatchSize c.Regions)
        let results =
            batches |> Array.Parallel.mapi (fun k batch ->
                let exact, approx = estimates c k batch
                approx |> Array.map (fun (tau, name, reading, zeta, m) ->
                    (tau, name, reading, zeta), fidelity c.Delta c.Regions exact m))
        let keys = results[0] |> Array.map fst
        keys |> Array.mapi (fun e (tau, name, reading, zeta) ->
            let metric (f: BatchFidelity -> float) =
                results |> Array.map (fun r -> f (snd r[e])) |> bootstrap c.Resamples c.Seed
            { Tau = Option.toNullable tau; Estimator = name; Reading = reading; Zeta = Option.toNullable zeta
              SpearmanRows = metric (fun f -> f.SpearmanRows); SpearmanColumns = metric (fun f -> f.SpearmanColumns)
              HardestRows = metric (fun f -> f.HardestRows); HardestColumns = metric (fun f -> f.HardestColumns)
              TripletRelativeError = metric (fun f -> f.TripletRelativeError) })
