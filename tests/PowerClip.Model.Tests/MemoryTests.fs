/// Native memory over a long run, and a short run that learns; CUDA parity (skipped without a GPU).
module PowerClip.Model.Tests.MemoryTests

open System
open Expecto
open TorchSharp
open PowerClip.Model
open PowerClip.Model.Tests.Training

/// Stated bound: after warm-up (step 200), 800 more steps may add at most 32 MB of resident memory (40 KB a
/// step; leaking one step's activations would add several hundred KB a step). Measured: −2.6 to 8.9 MB in
/// 7 runs, and no trend over 4,000 steps (Bench.residentTrend).
let growthBoundBytes = 32L * 1024L * 1024L

[<Tests>]
let tests =
    testList "memory and devices" [
        test "1,000 PowerCLIP steps on the tiny preset: resident memory grows by < 32 MB after warm-up" {
            let cfg = Presets.Load "tiny"
            torch.manual_seed 1L |> ignore
            use model = new ClipModel(cfg)
            use optimizer = torch.optim.AdamW(model.parameters(), lr = 1e-3)
            let objective = PowerClipLoss(PowerClipLossConfig())
            let boxes = RandomBoxSampler(cfg.Vision.GridSize, 1)
            let r = Random 1
            let mutable warm = 0L
            for i in 1 .. 1000 do
                let b = randomBatch r cfg 8 6
                let loss = step model optimizer objective boxes 4 b
                b.Dispose()
                if not (Double.IsFinite loss) then failtest $"step {i}: loss {loss}"
                if i = 200 then warm <- residentBytes ()
            let growth = residentBytes () - warm
            printfn $"memory test: resident {warm / 1048576L} MB at step 200, growth {float growth / 1048576.0:F1} MB \
                over 800 steps"
            Expect.isLessThan growth growthBoundBytes $"native memory grew by {growth / 1024L} KiB"
        }
        test "a training step leaves no tensor alive outside its dispose scope, for every objective" {
            let cfg = Presets.Load "tiny"
            let stats = DisposeScopeManager.Statistics.TensorStatistics
            let outside () = stats.CreatedOutsideScopeCount - stats.DisposedOutsideScopeCount
            for name in Objectives.Names do
                torch.manual_seed 4L |> ignore
                use model = new ClipModel(cfg)
                use optimizer = torch.optim.AdamW(model.parameters(), lr = 1e-3)
                let objective =
                    Objectives.Create(name, ObjectiveSettings(PowerClip = PowerClipLossConfig(MaxExactRegions = 4)))
                attach model objective
                let boxes = RandomBoxSampler(cfg.Vision.GridSize, 4)
                let b = randomBatch (Random 4) cfg 4 5
                step model optimizer objective boxes 4 b |> ignore   // the optimizer creates its state here
                let live0, outside0 = stats.ThreadTotalLiveCount, outside ()
                for _ in 1 .. 3 do step model optimizer objective boxes 4 b |> ignore
                Expect.equal stats.ThreadTotalLiveCount live0 $"{name}: no tensor escapes a step's scope into \
                    an outer one"
                Expect.equal (outside ()) outside0 $"{name}: no tensor is left outside every scope"
                b.Dispose()
        }
        test "40 steps on one fixed batch reduce the PowerCLIP loss" {
            let cfg = Presets.Load "tiny"
            torch.manual_seed 2L |> ignore
            use model = new ClipModel(cfg)
            use optimizer = torch.optim.AdamW(model.parameters(), lr = 2e-3)
            let objective = PowerClipLoss(PowerClipLossConfig())
            let b = randomBatch (Random 2) cfg 8 6
            let first = step model optimizer objective (RandomBoxSampler(cfg.Vision.GridSize, 2)) 4 b
            let mutable last = first
            for _ in 1 .. 40 do last <- step model optimizer objective (RandomBoxSampler(cfg.Vision.GridSize, 2)) 4 b
            Expect.isLessThan last (0.8 * first) $"loss {first} → {last}"
        }
        test "CUDA results equal the CPU's within float32 tolerance" {
            if not (torch.cuda.is_available()) then skiptest "no CUDA device (the TorchSharp-cpu build, or no \
                                                        GPU visible)"
            let cfg = Presets.Load "tiny"
            torch.manual_seed 3L |> ignore
            use model = new ClipModel(cfg)
            let b = randomBatch (Random 3) cfg 6 6
            let masks = RandomBoxSampler(cfg.Vision.GridSize, 3).Sample(6, 4)
            let run (device: torch.Device) =
                model.``to``(device) |> ignore
                use phrases = PhraseBatch.Build(b.Trees, cfg.Text.ContextLength, device = device)
                [ for name in Objectives.Names ->
                    let objective = Objectives.Create name
                    attach model objective
                    torch.manual_seed 3L |> ignore   // the masking objectives draw their masks from it
                    let images, tokens = b.Images.``to``(device), b.Tokens.``to``(device)
                    let o = objective.Forward(model, images, tokens, ForwardContext.Default)
                    let loss = objective.Compute(ObjectiveInputs(o, masks.``to``(device), phrases))
                    name, loss.Total.cpu().item<float32>() |> float ]
            let gpu = run torch.CUDA
            let cpu = run torch.CPU
            for (name, c), (_, g) in List.zip cpu gpu do
                Expect.floatClose { absolute = 1e-4; relative = 1e-4 } g c $"{name}: CUDA vs CPU"
        }
    ]
