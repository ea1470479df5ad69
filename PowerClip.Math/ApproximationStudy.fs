namespace PowerClip.Spec

/// Settings of the per-pair approximation study (analogous to the paper's Figure 5, which we have not seen; on assumed
/// inputs). Seeded: the same settings give the same numbers.
type StudyConfig =
    { Cases: int; Regions: int; Taus: float[]; Zetas: float[]; Reading: ZetaReading
      Similarities: SimilarityModel; McSamples: int; Seed: int }

/// Exact and approximate values of one quantity over all cases, for one estimator in one (τ, ζ) cell.
/// Zeta is null for estimators that do not depend on ζ.
type StudySeries =
    { Tau: float; Zeta: System.Nullable<float>; Quantity: string; Estimator: string; Exact: float[]; Approx: float[] }

/// Agreement of one series: Pearson r, mean absolute error and mean signed error (approx − exact).
type StudyRow =
    { Tau: float; Zeta: System.Nullable<float>; Quantity: string; Estimator: string
      Cases: int; PearsonR: float; Mae: float; MeanError: float }

/// Distribution over the study's inputs of Theorem 2's ζ* (NLA-T2 = Q̃→_τ), in the study's reading.
type ZetaStarSummary =
    { Tau: float; Cases: int; Mean: float; Q10: float; Q25: float; Median: float; Q75: float; Q90: float }

module ApproximationStudy =

    /// The paper's grid: τ ∈ {0.1, 0.01, 0.001} × ζ ∈ {0, 0.25, 0.5, 0.75, 1}, M = 10.
    let paperGrid (cases: int) (seed: int) : StudyConfig =
        { Cases = cases; Regions = 10; Taus = [| 0.1; 0.01; 0.001 |]; Zetas = [| 0.0; 0.25; 0.5; 0.75; 1.0 |]
          Reading = Nla.defaultReading; Similarities = ClipLike; McSamples = 32; Seed = seed }

    let pearson (x: float[]) (y: float[]) : float =
        let mx, my = Array.average x, Array.average y
        let sxy = Array.fold2 (fun acc a b -> acc + (a - mx) * (b - my)) 0.0 x y
        let sxx = Array.sumBy (fun a -> (a - mx) ** 2.0) x
        let syy = Array.sumBy (fun b -> (b - my) ** 2.0) y
        sxy / sqrt (sxx * syy)

    let summarize (s: StudySeries) : StudyRow =
        { Tau = s.Tau; Zeta = s.Zeta; Quantity = s.Quantity; Estimator = s.Estimator; Cases = s.Exact.Length
          PearsonR = pearson s.Exact s.Approx
          Mae = Array.map2 (fun e a -> abs (a - e)) s.Exact s.Approx |> Array.average
          MeanError = Array.map2 (fun e a -> a - e) s.Exact s.Approx |> Array.average }

    let private validate (c: StudyConfig) : unit =
        let fail (m: string) = raise (System.ArgumentException m)
        if c.Cases < 2 then fail $"the study needs at least 2 cases for a correlation, got {c.Cases}"
        if c.Regions < 1 || c.Regions > Powerset.MaxRegions then fail $"regions must lie in 1..{Powerset.MaxRegions}, \
                                                                     got {c.Regions}"
        if c.Taus.Length = 0 || c.Zetas.Length = 0 then fail "the study needs at least one tau and one zeta"
        Array.iter Validate.tau c.Taus
        Array.iter Validate.zeta c.Zetas
        if c.McSamples < 1 then fail $"Monte Carlo samples must be >= 1, got {c.McSamples}"

    /// The study's inputs, drawn from Random(Seed).
    let private draw (c: StudyConfig) : (float[,] * ParseTree)[] =
        validate c
        let rng = System.Random c.Seed
        Array.init c.Cases (fun _ -> Synthetic.studyCase c.Similarities rng c.Regions)

    /// Linear-interpolation quantile of a sorted, non-empty array.
    let quantile (sorted: float[]) (q: float) : float =
        let pos = q * float (sorted.Length - 1)
        let i = int (floor pos)
        if i >= sorted.Length - 1 then sorted[sorted.Length - 1]
        else sorted[i] + (pos - float i) * (sorted[i + 1] - sorted[i])

    /// ζ* per τ over the same inputs as run: where a single ζ would have to sit to reproduce Q̃→_τ exactly.
    let zetaStars (c: StudyConfig) : ZetaStarSummary[] =
        let inputs = draw c
        c.Taus |> Array.map (fun tau ->
            let z =
                inputs
                |> Array.choose (fun (s0, t) -> Nla.zetaFor tau c.Reading (Powerset.r2tLse tau s0 t) s0 t)
                |> Array.sort
            { Tau = tau; Cases = z.Length; Mean = Array.average z
              Q10 = quantile z 0.1; Q25 = quantile z 0.25; Median = quantile z 0.5
              Q75 = quantile z 0.75; Q90 = quantile z 0.9 })

    /// Computes every series. Cases are drawn from Random(Seed); Monte Carlo case k uses seed Seed + k.
    let run (c: StudyConfig) : StudySeries[] =
        let inputs = draw c
        let over (f: float[,] -> ParseTree -> float) = inputs |> Array.map (fun (s0, t) -> f s0 t)
        let r2t, t2r = over Powerset.r2tExact, over Powerset.t2rExact
        let total = Array.map2 (+) r2t t2r
        let relu = over Estimators.t2rRelu
        let mc =
            inputs
                |> Array.mapi (fun k (s0, t) -> (Estimators.r2tMonteCarlo c.McSamples (c.Seed + k) 0.95 s0 t).Estimate)
        let series tau (zeta: float option) quantity estimator exact approx : StudySeries =
            { Tau = tau; Zeta = Option.toNullable zeta; Quantity = quantity; Estimator = estimator
              Exact = exact; Approx = approx }
        [| for tau in c.Taus do
             let t1 = over (Nla.t1 tau)
             let delta = over (Estimators.r2tDelta tau)
             yield series tau None "t2r" "nla_t1" t2r t1
             yield series tau None "t2r" "relu_exact" t2r relu
             yield series tau None "r2t" "lower" r2t (over (Nla.lower tau))
             yield series tau None "r2t" "upper" r2t (over (Nla.upper tau))
             yield series tau None "r2t" "delta" r2t delta
             yield series tau None "r2t" "monte_carlo" r2t mc
             yield series tau None "total" "relu+delta" total (Array.map2 (+) relu delta)
             yield series tau None "total" "relu+monte_carlo" total (Array.map2 (+) relu mc)
             for zeta in c.Zetas do
                 let t2 = over (Nla.t2 tau zeta c.Reading)
                 yield series tau (Some zeta) "r2t" "nla_t2" r2t t2
                 yield series tau (Some zeta) "total" "nla_t1+nla_t2" total (Array.map2 (+) t1 t2) |]
