/// The path training runs, in float32: ChunkedScores (forward over chunks of image rows, backward recomputing
/// the pairs that receive a gradient) with the default configuration (NlaBoth, τ = 1e-3, ζ = 0.75, S̄/M), M = 10,
/// against the same computation in float64, which the float64 suites check against the spec. Also the whole
/// PowerCLIP loss (CLIP + λ·triplet), float32 against float64.
///
/// Tolerances, from a first-order model of float32 rounding (ε₃₂ = 6e-8), worst case over the inputs used:
/// - S̄ values, 1e-5 absolute. S1 = ⟨φ_m, p_B⟩ (|φ| = 1, |p_B| ≤ |B| ≤ 12) is rounded by δS1 ≤ c·ε₃₂·|B| with c ≈ 5
///   for E = 32 accumulated terms, i.e. ≤ 3.6e-6; S̄ = (NLA-T1 + NLA-T2)/M has Σ_m,B |∂S̄/∂S1| ≤ 2, and the
///   aggregation itself adds τ·ε₃₂·|z| ≤ 6e-7 (|z| = |Σ_m Λ(S1/τ)| ≤ M·max|S1|/τ ≈ 1e4): together ≤ 8e-6.
/// - Gradients, 1e-3 of the gradient's largest entry. At τ = 1e-3 the derivatives change on the scale τ
///   (Λ' = ½(1 + w·tanh(S1/2τ)), and the node softmax of z), so δS1 moves them by at most ≈ M·δS1/(4τ) ≈ 9e-3 in the
///   worst alignment of every rounding; 1e-3 sits an order below that bound and two above what is observed
///   (≤ 2e-5 over the 12 inputs; printed by the test), and far below any logic error (≥ 1e-2 in the float64 suites'
///   counterexamples). float64 gradients differ from the spec's by < 1e-9 (gradients in the training regime).
module PowerClip.Model.Tests.Float32ParityTests

open System
open Expecto
open TorchSharp
open PowerClip.Model
open PowerClip.Model.Tests.TestData

let private b, regions, dim = 12, 10, 32

type private Inputs = { Phi: float[]; Psi: float[]; Trees: CaptionTree[]; Leaves: int }

/// Random unit vectors (cosines ≈ ±0.2, S1 ≈ ±0.5 ≫ τ), or with nearZero the regions almost orthogonal to the
/// words (φ has weight 1e-3 in the 8 dimensions the words live in), so S1 ≈ ±τ: where Λ' and the node softmax
/// are most sensitive to rounding.
let private inputs (seed: int) (nearZero: bool) : Inputs =
    let r = Random seed
    let trees = randomTrees r b 3 12
    let l = trees |> Array.map (fun t -> t.LeafSpans.Count) |> Array.max
    let unit (weight: int -> float) =
        let v = Array.init dim (fun d -> weight d * gaussian r)
        let n = sqrt (Array.sumBy (fun x -> x * x) v)
        v |> Array.map (fun x -> x / n)
    let region d = if nearZero && d < 8 then 1e-3 else 1.0
    let word d = if nearZero && d >= 8 then 0.0 else 1.0
    let phi = Array.init (b * regions) (fun _ -> unit region) |> Array.concat
    let leaf j k = if k < trees[j].LeafSpans.Count then unit word else Array.zeroCreate dim
    let psi = Array.init b (fun j -> Array.init l (leaf j) |> Array.concat) |> Array.concat
    { Phi = phi; Psi = psi; Trees = trees; Leaves = l }

/// S̄ and its gradients for φ and the node embeddings under a triplet-like upstream gradient (diagonal and one
/// off-diagonal pair per row), in the given dtype; chunked = ChunkedScores, else plain autograd through Combine.
let private scoresAndGradients (x: Inputs) (dtype: torch.ScalarType) (chunked: bool) : float[] * float[] * float[] =
    use scope = torch.NewDisposeScope()
    use phrases = PhraseBatch.Build(x.Trees, 32, dtype)
    let phi = (t64 x.Phi [| int64 b; int64 regions; int64 dim |]).to_type(dtype).requires_grad_(true)
    let psi = (t64 x.Psi [| int64 b; int64 x.Leaves; int64 dim |]).to_type(dtype)
    let nodes = PowerClipScores.NodeEmbeddings(psi, phrases.Membership).detach().requires_grad_(true)
    let cfg = PowerClipLossConfig(ChunkElements = (if chunked then 700L else 1L <<< 22))
    let s =
        if chunked then ChunkedScores.Compute(phi, nodes, phrases.NodeMask, cfg)
        else PowerClipScores.Combine(PowerClipScores.S1(phi, nodes), phrases.NodeMask, cfg)
    let upstream = torch.zeros([| int64 b; int64 b |], dtype = dtype)
    for i in 0 .. b - 1 do
        upstream[int64 i, int64 i] <- torch.tensor(-1.0, dtype = dtype)
        upstream[int64 i, int64 ((i + 1 + i % 3) % b)] <- torch.tensor(1.0, dtype = dtype)
    let g = torch.autograd.grad([| s |], [| phi; nodes |], [| upstream |])
    values s, values g[0], values g[1]

let private relativeMax (a: float[]) (reference: float[]) : float =
    maxAbsDiff a reference / (reference |> Array.map abs |> Array.max)

[<Tests>]
let tests =
    testSequenced <| testList "float32 training path" [
        test "ChunkedScores float32 (forward + recomputing backward, NlaBoth, tau 1e-3, M 10) vs float64" {
            let mutable worstValue, worstGrad = 0.0, 0.0
            for seed in 1 .. 12 do
                let x = inputs (4100 + seed) (seed > 6)
                let s64, gphi64, gnodes64 = scoresAndGradients x torch.float64 false
                let s32, gphi32, gnodes32 = scoresAndGradients x torch.float32 true
                let valueErr = maxAbsDiff s32 s64
                let gradErr = max (relativeMax gphi32 gphi64) (relativeMax gnodes32 gnodes64)
                worstValue <- max worstValue valueErr
                worstGrad <- max worstGrad gradErr
                Expect.isLessThanOrEqual valueErr 1e-5 $"seed {seed}: S̄ values, max abs error {valueErr:E2}"
                Expect.isLessThanOrEqual gradErr 1e-3 $"seed {seed}: gradients, max error / max entry {gradErr:E2}"
            Expect.isGreaterThan worstValue 0.0 "the float32 path really rounds (else the comparison tests nothing)"
            printfn $"float32 vs float64: worst S̄ error {worstValue:E2}, worst relative gradient error {worstGrad:E2}"
        }
        test "the whole PowerCLIP loss in float32 (CLIP + lambda triplet over S-bar and its transpose) vs float64" {
            for seed in 1 .. 4 do
                let x = inputs (4200 + seed) false
                let run (dtype: torch.ScalarType) =
                    use scope = torch.NewDisposeScope()
                    use phrases = PhraseBatch.Build(x.Trees, 32, dtype)
                    let r = Random seed
                    let unitRows () =
                        torch.nn.functional.normalize(randomTensor r [| int64 b; int64 dim |], dim = -1L)
                            .to_type(dtype).requires_grad_(true)
                    let embeds = unitRows ()
                    let texts = unitRows ()
                    let phi = (t64 x.Phi [| int64 b; int64 regions; int64 dim |]).to_type(dtype).requires_grad_(true)
                    let psi = (t64 x.Psi [| int64 b; int64 x.Leaves; int64 dim |]).to_type(dtype).requires_grad_(true)
                    let scale = torch.tensor(20.0, dtype = dtype)
                    let objective = PowerClipLoss(PowerClipLossConfig(ChunkElements = 700L))
                    let loss = objective.FromEmbeddings(embeds, texts, scale, phi, psi, phrases)
                    loss.Total.backward()
                    let grads = Array.concat [ values (nonNull phi.grad); values (nonNull psi.grad) ]
                    values loss.Total, values loss.Parts["triplet"], grads
                let l64, t64v, g64 = run torch.float64
                let l32, t32v, g32 = run torch.float32
                Expect.isGreaterThan t64v[0] 0.0 $"seed {seed}: the triplet term is active"
                Expect.isLessThanOrEqual (abs (l32[0] - l64[0])) 1e-5 $"seed {seed}: loss {l32[0]} vs {l64[0]}"
                let err = relativeMax g32 g64
                Expect.isLessThanOrEqual err 1e-3 $"seed {seed}: gradients of φ and ψ, {err:E2}"
        }
    ]
