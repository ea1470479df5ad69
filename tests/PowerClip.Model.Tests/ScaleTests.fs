/// Training at scale on one device: activation checkpointing (gradients equal the plain path's), bfloat16 autocast of
/// the transformer blocks (parity with float32 within bfloat16's tolerance; gradients land in float32 masters), and
/// why the PowerCLIP head stays in float32 (its NLAs at τ = 1e-3 lose the hardest negatives in bfloat16).
module PowerClip.Model.Tests.ScaleTests

open System
open Expecto
open TorchSharp
open PowerClip.Model
open PowerClip.Model.Tests.TestData

/// Loss and every parameter's gradient (float64 copies) of one PowerCLIP forward/backward on a fixed batch.
let private lossAndGradients (model: ClipModel) (precision: Precision) (b: SyntheticBatch)
                             : float * (string * float[]) list =
    use scope = torch.NewDisposeScope()
    model.zero_grad()
    let outputs =
        use _ = Autocast.Enter precision
        model.Forward(b.Images, b.Tokens)
    let loss = PowerClipLoss(PowerClipLossConfig()).Compute(ObjectiveInputs(outputs, b.Masks, b.Phrases)).Total
    loss.backward()
    let grads = [ for struct (name, p) in model.named_parameters() -> name, values (nonNull p.grad) ]
    loss.ToDouble(), grads

let private maxGradientDiff (a: (string * float[]) list) (b: (string * float[]) list) : float =
    List.map2 (fun (_, x) (_, y) -> maxAbsDiff x y) a b |> List.max

let private cosine (x: float[]) (y: float[]) : float =
    let dot = Array.fold2 (fun s a b -> s + a * b) 0.0 x y
    dot / (sqrt (Array.sumBy (fun a -> a * a) x) * sqrt (Array.sumBy (fun a -> a * a) y) + 1e-300)

let private tinyModel (seed: int64) : ClipModel =
    torch.manual_seed seed |> ignore
    new ClipModel(Presets.Load "tiny")

[<Tests>]
let tests =
    testList "scale" [
        test "activation checkpointing: every gradient equals the plain path's within 1e-6 (tiny, float32, PowerCLIP \
            loss), fp32 and bf16" {
            use model = tinyModel 21L
            let cfg = model.Config
            use b = SyntheticBatch.Create(cfg, 6, 4, 6, 21)
            for precision in [ Precision.Fp32; Precision.Bf16 ] do
                model.GradCheckpointing <- false
                let plainLoss, plain = lossAndGradients model precision b
                model.GradCheckpointing <- true
                let before = BlockCheckpoint.Recomputations
                let ckptLoss, ckpt = lossAndGradients model precision b
                let recomputed = BlockCheckpoint.Recomputations - before
                model.GradCheckpointing <- false
                Expect.equal recomputed (int64 (cfg.Vision.Layers + cfg.Text.Layers))
                    $"{precision}: every block of both towers was recomputed once"
                Expect.equal ckptLoss plainLoss $"{precision}: the same loss"
                let diff = maxGradientDiff ckpt plain
                printfn $"checkpointing {precision}: max |Δ gradient| {diff:g3} over {plain.Length} parameters"
                Expect.isLessThanOrEqual diff 1e-6 $"{precision}: gradients"
                Expect.isGreaterThan (plain |> List.sumBy (fun (_, g) -> Array.sumBy abs g)) 0.0
                    "the gradients are not all zero"
        }
        test "activation checkpointing leaves the CPU generator where the plain run leaves it (draws between forward \
            and backward)" {
            use model = tinyModel 22L
            use b = SyntheticBatch.Create(model.Config, 4, 4, 5, 22)
            let drawAfter (checkpointing: bool) =
                use scope = torch.NewDisposeScope()
                model.GradCheckpointing <- checkpointing
                torch.manual_seed 5L |> ignore
                let o = model.Forward(b.Images, b.Tokens)
                let noise = torch.rand(3L)   // the recomputation must not replay or skip these draws
                let loss = o.ImageEmbeds.sum() + o.TextEmbeds.sum() * noise.sum()
                loss.backward()
                let after = torch.rand(3L)
                Array.append (values noise) (values after)
            let plain, ckpt = drawAfter false, drawAfter true
            model.GradCheckpointing <- false
            Expect.equal ckpt plain "the same draws before and after the backward"
        }
        test "bf16 autocast: loss within 1e-2 (relative) and gradients with cosine ≥ 0.99 of float32's; masters and \
            gradients stay float32" {
            use model = tinyModel 23L
            use b = SyntheticBatch.Create(model.Config, 8, 4, 6, 23)
            let fpLoss, fp = lossAndGradients model Precision.Fp32 b
            let bfLoss, bf = lossAndGradients model Precision.Bf16 b
            let relative = abs (bfLoss - fpLoss) / abs fpLoss
            let worst =
                List.map2 (fun (n, x) (_, y) -> n, cosine x y) fp bf
                |> List.filter (fun (_, x) -> not (Double.IsNaN x)) |> List.minBy snd
            printfn $"bf16 autocast: loss {fpLoss:g6} → {bfLoss:g6} (relative {relative:g3}); "
            printfn $"  lowest gradient cosine {snd worst:F5} ({fst worst})"
            Expect.isGreaterThan relative 0.0 "bf16 really ran (a float32 rerun would be bit-identical)"
            Expect.isLessThanOrEqual relative 1e-2 "loss"
            Expect.isGreaterThanOrEqual (snd worst) 0.99 $"gradient direction of {fst worst}"
            for struct (name, p) in model.named_parameters() do
                Expect.equal p.dtype torch.float32 $"{name} is a float32 master"
                Expect.equal (nonNull p.grad).dtype torch.float32 $"{name}'s gradient is float32"
        }
        test "the PowerCLIP head needs float32: in bfloat16 S̄'s error at τ = 1e-3 moves hardest negatives; in float32 \
            it does not" {
            // φ and p as in training: unit regions, node sums of unit leaves, pairs correlated like a trained
            // model's (cosines ~0.3), M = 10, 10 words, B = 48, E = 64.
            let r = Random 24
            let batch, m, words, e = 48, 10, 10, 64L
            let shared = unitTensor r [| 1L; 1L; e |]
            let phi = torch.nn.functional.normalize(unitTensor r [| int64 batch; int64 m; e |] + 0.6 * shared,
                                                    dim = -1L)
            let trees = SyntheticBatch.RandomTrees(r, batch, words)
            use phrases = PhraseBatch.Build(trees, words + 2)
            let psi = torch.nn.functional.normalize(unitTensor r [| int64 batch; int64 words; e |] + 0.6 * shared,
                                                    dim = -1L)
            let nodes = PowerClipScores.NodeEmbeddings(psi, phrases.Membership)
            let cfg = PowerClipLossConfig()
            let sbar (dtype: torch.ScalarType) =
                let s1 = PowerClipScores.S1(phi.``to``(dtype), nodes.``to``(dtype))
                PowerClipScores.Combine(s1, phrases.NodeMask, cfg).``to``(torch.float64)
            let exact = sbar torch.float64
            let hardest (s: torch.Tensor) =
                let off = s.masked_fill(torch.eye(int64 batch, dtype = torch.ScalarType.Bool), Double.NegativeInfinity)
                values (off.argmax(1L)), values (off.argmax(0L))
            let moved (s: torch.Tensor) =
                let (r1, c1), (r0, c0) = hardest s, hardest exact
                Array.fold2 (fun n a b -> if a <> b then n + 1 else n) 0 (Array.append r1 c1) (Array.append r0 c0)
            let error (s: torch.Tensor) = (s - exact).abs().max().ToDouble()
            let spread = (exact - exact.mean()).abs().mean().ToDouble()
            let f32, bf16 = sbar torch.float32, sbar torch.bfloat16
            printfn $"head precision (S̄ mean |S̄ - mean| {spread:g3}): float32 max error {error f32:g3}, "
            printfn $"  hardest negatives moved {moved f32}/{2 * batch}; bfloat16 max error {error bf16:g3}, moved \
                {moved bf16}/{2 * batch}"
            Expect.isLessThan (error f32) 1e-5 "float32 S̄ matches float64"
            Expect.equal (moved f32) 0 "float32 finds float64's hardest negatives"
            Expect.isGreaterThan (error bf16) (1000.0 * error f32) "bfloat16 S̄ is three orders of magnitude worse"
            Expect.isGreaterThan (moved bf16) 0 "bfloat16 changes which negatives are hardest"
        }
    ]
