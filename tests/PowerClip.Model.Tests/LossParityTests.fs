/// Parity of the whole PowerCLIP objective (CLIP + λ·triplet on S̄, every ablation switch, NLA and exact,
/// chunked and unchunked) with a composition of PowerClip.Math functions, float64: values within 1e-9,
/// gradients with respect to all embeddings within 1e-6 of central differences (h = 1e-6) of the spec.
module PowerClip.Model.Tests.LossParityTests

open System
open Expecto
open TorchSharp
open PowerClip.Spec
open PowerClip.Model
open PowerClip.Model.Tests.TestData

let private b, regions, dim, scale = 4, 3, 5, 7.0

type private Setup = { Trees: CaptionTree[]; Leaves: int; X: float[] }

// Parameter layout of X: image [b, dim] | text [b, dim] | φ [b, M, dim] | ψ [b, L, dim] (zero rows on padded leaves).
let private setup (seed: int) : Setup =
    let r = Random seed
    let trees = randomTrees r b 2 5
    let l = trees |> Array.map (fun t -> t.LeafSpans.Count) |> Array.max
    let unit n =
        let v = Array.init n (fun _ -> gaussian r)
        let s = sqrt (Array.sumBy (fun x -> x * x) v)
        v |> Array.map (fun x -> x / s)
    let vecs count = Array.init count (fun _ -> unit dim) |> Array.concat
    let psi =
        Array.init b (fun j ->
            Array.init l (fun k -> if k < trees[j].LeafSpans.Count then unit dim else Array.zeroCreate dim)
            |> Array.concat)
        |> Array.concat
    { Trees = trees; Leaves = l; X = Array.concat [ vecs b; vecs b; vecs (b * regions); psi ] }

/// The single-region forms used by the "w/o subsets" ablation ([reconstructed]), written from their definitions.
let private singleRegion (cfg: PowerClipLossConfig) (s0: float[,]) (tree: ParseTree) : float * float =
    let s1 = Similarity.s1 s0 tree
    let m, nodes = Array2D.length1 s1, Array2D.length2 s1
    let agg (xs: float[]) =
        if cfg.Aggregation = PowersetAggregation.Exact then Array.max xs else Numerics.lseTau cfg.Tau xs
    Array.average (Array.init m (fun a -> agg s1[a, *])), Array.average (Array.init nodes (fun n -> agg s1[*, n]))

/// S̄ for one pair by the spec, under the configuration's switches.
let private pairScore (cfg: PowerClipLossConfig) (s0: float[,]) (tree: ParseTree) : float =
    let tree = if cfg.UseTree then tree else { tree with Nodes = Array.init tree.LeafCount (fun l -> [| l |]) }
    let range = mathRange cfg.R2TSubsets
    let r2t, t2r =
        match cfg.UseSubsets, cfg.Aggregation with
        | false, _ -> singleRegion cfg s0 tree
        | true, PowersetAggregation.Exact -> Powerset.r2tExactOver range s0 tree, Powerset.t2rExact s0 tree
        | true, _ ->
            (if cfg.R2T = R2TMethod.MonteCarlo then
                 (Estimators.r2tMonteCarloOver range cfg.MonteCarloSamples cfg.MonteCarloSeed 0.95 s0 tree).Estimate
             else Nla.t2Over range cfg.Tau cfg.Zeta (mathReading cfg.Reading) s0 tree),
            (if cfg.T2R = T2RMethod.ExactRelu then Estimators.t2rRelu s0 tree else Nla.t1 cfg.Tau s0 tree)
    (if cfg.UseR2T then r2t else 0.0) + (if cfg.UseT2R then t2r else 0.0)
    |> PowerClip.Spec.ScoreScale.apply (mathScale cfg.Scale) (Array2D.length1 s0) cfg.UseSubsets

/// The objective by the spec, as a function of the flat parameter vector.
let private specLoss (cfg: PowerClipLossConfig) (s: Setup) (x: float[]) : float =
    let l = s.Leaves
    let img i d = x[i * dim + d]
    let txt j d = x[b * dim + j * dim + d]
    let phi i m d = x[2 * b * dim + (i * regions + m) * dim + d]
    let psi j k d = x[2 * b * dim + b * regions * dim + (j * l + k) * dim + d]
    let dot f g = Seq.sum (seq { for d in 0 .. dim - 1 -> f d * g d })
    let clip = Losses.infoNce (Array2D.init b b (fun i j -> scale * dot (img i) (txt j)))
    if not cfg.UseTriplet then clip
    else
        let sbar = Array2D.init b b (fun i j ->
            let tree = mathTree s.Trees[j]
            pairScore cfg (Array2D.init regions tree.LeafCount (fun m k -> dot (phi i m) (psi j k))) tree)
        let transposed = Array2D.init b b (fun i j -> sbar[j, i])
        clip + cfg.Lambda * (Losses.triplet cfg.Delta sbar + Losses.triplet cfg.Delta transposed)

/// The C# objective's value and gradient (autograd) at the setup's parameters.
let private csharpLoss (cfg: PowerClipLossConfig) (s: Setup) : float * float[] =
    use scope = torch.NewDisposeScope()
    use phrases = PhraseBatch.Build(s.Trees, 16, torch.float64)
    let x = t64 s.X [| int64 s.X.Length |]
    x.requires_grad_(true) |> ignore
    let mutable at = 0L
    let take (shape: int64[]) =
        let n = Array.fold (*) 1L shape
        let v = x.narrow(0L, at, n).view(shape)
        at <- at + n
        v
    let img = take [| int64 b; int64 dim |]
    let txt = take [| int64 b; int64 dim |]
    let phi = take [| int64 b; int64 regions; int64 dim |]
    let psi = take [| int64 b; int64 s.Leaves; int64 dim |]
    let loss = PowerClipLoss(cfg).FromEmbeddings(img, txt, torch.tensor(scale, dtype = torch.float64), phi, psi,
                                                 phrases)
    loss.Total.backward()
    loss.Total.item<float>(), values (nonNull x.grad)

let private checkConfig (name: string) (cfg: PowerClipLossConfig) (seed: int) (withGrad: bool) =
    test name {
        let s = setup seed
        let value, grad = csharpLoss cfg s
        let expected = specLoss cfg s s.X
        Expect.isLessThanOrEqual (abs (value - expected)) 1e-9 $"loss: C# {value} vs spec {expected}"
        if withGrad then
            let fd = finiteDifference 1e-6 (specLoss cfg s) s.X
            Expect.isLessThanOrEqual (maxAbsDiff grad fd) 1e-6 "gradient vs central differences of the spec"
            if cfg.UseTriplet then
                let noTriplet = specLoss (PowerClipLossConfig(UseTriplet = false)) s s.X
                Expect.isGreaterThan (abs (value - noTriplet)) 0.0
                    "the triplet term contributes (else the parity would not test it)"
    }

[<Tests>]
let tests =
    let exact = PowersetAggregation.Exact
    testList "PowerCLIP loss parity with PowerClip.Math" [
        checkConfig "paper defaults (tau 1e-3): value" (PowerClipLossConfig()) 21 false
        checkConfig "NLA, tau 0.05: value and gradient" (PowerClipLossConfig(Tau = 0.05)) 22 true
        checkConfig "NLA, literal S-bar (score scale Sum)"
            (PowerClipLossConfig(Tau = 0.05, Scale = PowerClip.Model.ScoreScale.Sum)) 34 true
        checkConfig "exact, literal S-bar (score scale Sum)"
            (PowerClipLossConfig(Tau = 0.05, Aggregation = exact, Scale = PowerClip.Model.ScoreScale.Sum)) 35 true
        checkConfig "ablation: no subsets, literal S-bar"
            (PowerClipLossConfig(Tau = 0.05, UseSubsets = false, Scale = PowerClip.Model.ScoreScale.Sum)) 36 true
        checkConfig "NLA, zeta weights log cosh"
            (PowerClipLossConfig(Tau = 0.05, Reading = PowerClip.Model.ZetaReading.ZetaWeightsLogCosh)) 23 true
        checkConfig "NLA computed in chunks of one image row"
            (PowerClipLossConfig(Tau = 0.05, ChunkElements = 5L)) 24 true
        checkConfig "exact powerset variant" (PowerClipLossConfig(Tau = 0.05, Aggregation = exact)) 25 true
        checkConfig "exact powerset variant in chunks"
            (PowerClipLossConfig(Tau = 0.05, Aggregation = exact, ChunkElements = 5L)) 26 true
        checkConfig "ablation: no subsets (NLA)" (PowerClipLossConfig(Tau = 0.05, UseSubsets = false)) 27 true
        checkConfig "ablation: no subsets (exact)"
            (PowerClipLossConfig(Tau = 0.05, UseSubsets = false, Aggregation = exact)) 28 true
        checkConfig "ablation: no tree" (PowerClipLossConfig(Tau = 0.05, UseTree = false)) 29 true
        checkConfig "ablation: no R2T" (PowerClipLossConfig(Tau = 0.05, UseR2T = false)) 30 true
        checkConfig "ablation: no T2R" (PowerClipLossConfig(Tau = 0.05, UseT2R = false)) 31 true
        checkConfig "ablation: no triplet (= CLIP)" (PowerClipLossConfig(Tau = 0.05, UseTriplet = false)) 32 true
        let linear, nonEmpty = PowerClip.Model.ZetaReading.LinearInterpolation, PowerClip.Model.SubsetRange.NonEmpty
        let mc = R2TMethod.MonteCarlo
        checkConfig "linear zeta reading, tau 1e-3" (PowerClipLossConfig(Reading = linear)) 38 true
        checkConfig "t2r exact-relu" (PowerClipLossConfig(Tau = 0.05, T2R = T2RMethod.ExactRelu)) 39 true
        checkConfig "r2t monte-carlo:8, in chunks"
            (PowerClipLossConfig(Tau = 0.05, R2T = mc, MonteCarloSamples = 8, MonteCarloSeed = 3, ChunkElements = 5L))
            40 true
        checkConfig "r2t over non-empty subsets (NLA)" (PowerClipLossConfig(Tau = 0.05, R2TSubsets = nonEmpty)) 41 true
        checkConfig "r2t over non-empty subsets (exact)"
            (PowerClipLossConfig(Tau = 0.05, Aggregation = exact, R2TSubsets = nonEmpty)) 42 true
        checkConfig "r2t monte-carlo:8 over non-empty subsets"
            (PowerClipLossConfig(Tau = 0.05, R2T = mc, MonteCarloSamples = 8, R2TSubsets = nonEmpty)) 43 true
        test "the Monte Carlo R2T draws fresh subsets per evaluation: seed MonteCarloSeed + n for the n-th" {
            use scope = torch.NewDisposeScope()
            let s = setup 44
            use phrases = PhraseBatch.Build(s.Trees, 16, torch.float64)
            let r = Random 44
            let phi = unitTensor r [| int64 b; int64 regions; int64 dim |]
            let psi = unitTensor r [| int64 b; int64 s.Leaves;
                                      int64 dim |] * phrases.LeafMask.unsqueeze(-1L).to_type(torch.float64)
            let mcConfig seed =
                PowerClipLossConfig(R2T = R2TMethod.MonteCarlo, MonteCarloSamples = 3, MonteCarloSeed = seed,
                                    UseT2R = false)
            let cfg = mcConfig 10
            let loss = PowerClipLoss(cfg)
            let first, second = values (loss.Scores(phi, psi, phrases)), values (loss.Scores(phi, psi, phrases))
            let again = values (PowerClipLoss(cfg).Scores(phi, psi, phrases))
            let seeded11 = values (PowerClipLoss(mcConfig 11).Scores(phi, psi, phrases))
            Expect.sequenceEqual again first "a new loss starts at seed MonteCarloSeed"
            Expect.sequenceEqual second seeded11 "the second evaluation uses seed MonteCarloSeed + 1"
            Expect.isFalse (first = second) "different subsets give different scores here"
        }
        test "each ablation switch changes the loss" {
            let s = setup 33
            let full = csharpLoss (PowerClipLossConfig(Tau = 0.05)) s |> fst
            for name, cfg in [ "subsets", PowerClipLossConfig(Tau = 0.05, UseSubsets = false);
                               "tree", PowerClipLossConfig(Tau = 0.05, UseTree = false)
                               "R2T", PowerClipLossConfig(Tau = 0.05, UseR2T = false)
                               "T2R", PowerClipLossConfig(Tau = 0.05, UseT2R = false)
                               "triplet", PowerClipLossConfig(Tau = 0.05, UseTriplet = false)
                               "score scale", PowerClipLossConfig(Tau = 0.05,
                                                                  Scale = PowerClip.Model.ScoreScale.Sum) ] do
                Expect.isGreaterThan (abs ((csharpLoss cfg s |> fst) - full)) 1e-9
                    $"switching off {name} changes the value"
        }
        test "the defaults agree with PowerClip.Math's (ζ and its reading) and the paper (λ, τ)" {
            let d = PowerClipLossConfig()
            Expect.equal (mathReading d.Reading) Nla.defaultReading "ζ reading"
            Expect.equal d.Zeta Nla.defaultZeta "ζ"
            Expect.equal (mathScale d.Scale) PowerClip.Spec.ScoreScale.defaultScale "score scale"
            Expect.equal (d.Lambda, d.Tau, d.Delta) (0.2, 1e-3, 0.2) "λ and τ from the paper; δ = 0.2 (VSE++)"
        }
        test "the chunked backward (active pairs only) equals plain autograd, for sparse and dense upstream gradients" {
            use scope = torch.NewDisposeScope()
            let s = setup 37
            use phrases = PhraseBatch.Build(s.Trees, 16, torch.float64)
            let r = Random 37
            let phi = unitTensor r [| int64 b; int64 regions; int64 dim |]
            let psi = unitTensor r [| int64 b; int64 s.Leaves;
                                      int64 dim |] * phrases.LeafMask.unsqueeze(-1L).to_type(torch.float64)
            let nodes = PowerClipScores.NodeEmbeddings(psi, phrases.Membership)
            let dense = t64 (Array.init (b * b) (fun _ -> gaussian r)) [| int64 b; int64 b |]
            let sparse =
                dense * (t64 (Array.init (b * b) (fun k -> if k % 3 = 0 then 1.0 else 0.0)) [| int64 b; int64 b |])
            let grads (f: torch.Tensor -> torch.Tensor -> torch.Tensor) (upstream: torch.Tensor) =
                let p, n = phi.detach().requires_grad_(true), nodes.detach().requires_grad_(true)
                let g = torch.autograd.grad([| f p n |], [| p; n |], [| upstream |])
                values g[0], values g[1]
            for aggregation in [ PowersetAggregation.Nla; PowersetAggregation.Exact ] do
                for chunk in [ 5L; 1L <<< 22 ] do
                    let cfg = PowerClipLossConfig(Tau = 0.05, Aggregation = aggregation, ChunkElements = chunk)
                    let plain p n = PowerClipScores.Combine(PowerClipScores.S1(p, n), phrases.NodeMask, cfg)
                    let chunked p n = ChunkedScores.Compute(p, n, phrases.NodeMask, cfg)
                    for name, upstream in [ "dense", dense; "sparse", sparse ] do
                        let (ep, en), (cp, cn) = grads plain upstream, grads chunked upstream
                        Expect.isGreaterThan (Array.sumBy abs ep) 0.0 "the gradient is not trivially zero"
                        Expect.isLessThanOrEqual (maxAbsDiff cp ep) 1e-12
                            $"φ gradient, {aggregation}, chunk {chunk}, {name}"
                        Expect.isLessThanOrEqual (maxAbsDiff cn en) 1e-12
                            $"node gradient, {aggregation}, chunk {chunk}, {name}"
        }
        test "scores under no_grad equal scores with autograd" {
            use scope = torch.NewDisposeScope()
            let s = setup 34
            use phrases = PhraseBatch.Build(s.Trees, 16, torch.float64)
            let r = Random 34
            let phi = unitTensor r [| int64 b; int64 regions; int64 dim |]
            let psi = unitTensor r [| int64 b; int64 s.Leaves;
                                      int64 dim |] * phrases.LeafMask.unsqueeze(-1L).to_type(torch.float64)
            let loss = PowerClipLoss(PowerClipLossConfig(ChunkElements = 5L))
            let withGrad = values (loss.Scores(phi.requires_grad_(true), psi, phrases))
            let noGrad =
                use _ = torch.no_grad()
                values (loss.Scores(phi, psi, phrases))
            Expect.sequenceEqual noGrad withGrad "same S̄"
        }
        test "invalid settings are rejected with the setting named" {
            let message (cfg: PowerClipLossConfig) =
                try
                    PowerClipLoss(cfg) |> ignore
                    failtest "accepted an invalid config"
                with :? ArgumentException as e -> e.Message
            Expect.stringContains (message (PowerClipLossConfig(Tau = 0.0))) "τ" "tau"
            Expect.stringContains (message (PowerClipLossConfig(Zeta = 1.5))) "ζ" "zeta"
            Expect.stringContains (message (PowerClipLossConfig(UseR2T = false, UseT2R = false))) "R2T and T2R"
                "both terms off"
            let noSamples = PowerClipLossConfig(R2T = R2TMethod.MonteCarlo, MonteCarloSamples = 0)
            Expect.stringContains (message noSamples) "K >= 1" "no Monte Carlo samples"
        }
    ]
