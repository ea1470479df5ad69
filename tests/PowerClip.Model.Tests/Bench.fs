/// Measurements that are too slow for CI, run by hand:
///   dotnet tests/PowerClip.Model.Tests/bin/Release/net10.0/PowerClip.Model.Tests.dll bench-cost [preset] [batch]
///   [steps] [threads]
///   dotnet tests/PowerClip.Model.Tests/bin/Release/net10.0/PowerClip.Model.Tests.dll bench-memory <batch>
///   [chunkElements]
///   dotnet tests/PowerClip.Model.Tests/bin/Release/net10.0/PowerClip.Model.Tests.dll bench-resident [objective]
///   [steps]
module PowerClip.Model.Tests.Bench

open System
open System.Diagnostics
open TorchSharp
open PowerClip.Model
open PowerClip.Model.Tests.TestData
open PowerClip.Model.Tests.Training

/// CPU ms of the objective's forward and backward on fixed encoder outputs (leaves), without the encoders.
let private lossAlone (model: ClipModel) (objective: IContrastiveObjective) (boxes: RandomBoxSampler)
                      (b: SyntheticBatch) (repeats: int) : float =
    use scope = torch.NewDisposeScope()
    let o =
        use _ = torch.no_grad()
        objective.Forward(model, b.Images, b.Tokens, ForwardContext.Default)
    let leaf (t: torch.Tensor) = t.detach().requires_grad_(true)
    let leaves =
        ClipOutputs(leaf o.ImageEmbeds, leaf o.TextEmbeds, leaf o.LogitScale, leaf o.PatchTokens, leaf o.TokenFeatures,
                    o.TokenMask, Extra = (o.Extra |> Seq.map (fun kv -> kv.Key, leaf kv.Value) |> readOnlyDict))
    let masks = boxes.Sample(int b.Images.shape[0], 10)
    let run () =
        use inner = torch.NewDisposeScope()
        objective.Compute(ObjectiveInputs(leaves, masks, b.Phrases)).Total.backward()
    run ()
    use proc = Process.GetCurrentProcess()
    let cpu0 = proc.TotalProcessorTime
    for _ in 1 .. repeats do run ()
    proc.Refresh()
    (proc.TotalProcessorTime - cpu0).TotalMilliseconds / float repeats

/// Per objective: mean wall time of a full training step (forward, loss, backward, AdamW) on the preset.
let cost (preset: string) (batch: int) (steps: int) (threads: int) : unit =
    let cfg = Presets.Load preset
    let threads = TorchRuntime.SetThreads(Nullable threads)
    printfn $"preset {preset}, batch {batch}, M = 10 random boxes, 10-word captions, {threads} threads, {steps} timed \
        steps after 2 warm-up"
    printfn "| objective | wall ms / step | CPU ms / step | loss alone: CPU ms (forward + backward) |"
    printfn "|---|---|---|---|"
    for name in Objectives.Names do
        torch.manual_seed 1L |> ignore
        use model = new ClipModel(cfg)
        use optimizer = torch.optim.AdamW(model.parameters(), lr = 1e-4)
        let objective = Objectives.Create name
        attach model objective
        let boxes = RandomBoxSampler(cfg.Vision.GridSize, 1)
        let r = Random 1
        let batches = Array.init (steps + 2) (fun _ -> randomBatch r cfg batch 10)
        step model optimizer objective boxes 10 batches[0] |> ignore
        step model optimizer objective boxes 10 batches[1] |> ignore
        // CPU time as well as wall time: on a shared machine the wall time also counts other processes.
        use proc = Process.GetCurrentProcess()
        let cpu0 = proc.TotalProcessorTime
        let sw = Stopwatch.StartNew()
        for i in 2 .. steps + 1 do step model optimizer objective boxes 10 batches[i] |> ignore
        proc.Refresh()
        let cpu = (proc.TotalProcessorTime - cpu0).TotalMilliseconds
        let lossCpu = lossAlone model objective boxes batches[0] steps
        printfn $"| {name} | {sw.Elapsed.TotalMilliseconds / float steps:F0} | {cpu / float steps:F0} | {lossCpu:F1} |"

/// Peak resident memory of the PowerCLIP loss alone (forward and backward) for a local batch, M = 10,
/// L = 32 words, |𝒯| = 32 nodes, E = 512 (ViT-B/16's joint width), float32.
let memory (batch: int) (chunkElements: int64) : unit =
    TorchRuntime.SetThreads(Nullable()) |> ignore
    torch.manual_seed 1L |> ignore
    let r = Random 1
    let before = peakResidentBytes ()
    let trees = Array.init batch (fun _ -> captionTree 32 (randomNodes r 32 31) false)
    use phrases = PhraseBatch.Build(trees, 77)
    let l = phrases.LeafMask.shape[1]
    let unit (shape: int64[]) = torch.nn.functional.normalize(torch.randn(shape), dim = -1L).requires_grad_(true)
    let img, txt = unit [| int64 batch; 512L |], unit [| int64 batch; 512L |]
    let phi, psi = unit [| int64 batch; 10L; 512L |], unit [| int64 batch; l; 512L |]
    let loss = PowerClipLoss(PowerClipLossConfig(ChunkElements = chunkElements))
    let sw = Stopwatch.StartNew()
    let out = loss.FromEmbeddings(img, txt, torch.tensor(14.3f), phi, psi, phrases)
    let afterForward = peakResidentBytes ()
    out.Total.backward()
    let value = out.Total.item<float32>()
    printfn $"batch {batch}, M = 10, L = 32, |T| = {phrases.NodeMask.shape[1]}, E = 512, chunk {chunkElements} \
        entries: loss {value:F4}, forward+backward {sw.Elapsed.TotalSeconds:F1} s, peak RSS \
        {float (peakResidentBytes ()) / 1073741824.0:F2} GiB (before the loss {float before / 1073741824.0:F2} GiB, \
        after its forward {float afterForward / 1073741824.0:F2} GiB)"

/// Resident memory every 500 steps of the tiny preset under one objective (is growth a leak or noise?).
let residentTrend (name: string) (steps: int) : unit =
    TorchRuntime.SetThreads(Nullable 1) |> ignore
    let cfg = Presets.Load "tiny"
    torch.manual_seed 1L |> ignore
    use model = new ClipModel(cfg)
    use optimizer = torch.optim.AdamW(model.parameters(), lr = 1e-3)
    let objective = Objectives.Create name
    attach model objective
    let boxes = RandomBoxSampler(cfg.Vision.GridSize, 1)
    let r = Random 1
    for i in 1 .. steps do
        let b = randomBatch r cfg 8 6
        step model optimizer objective boxes 4 b |> ignore
        b.Dispose()
        if i % 500 = 0 then printfn $"{name} step {i}: resident {float (residentBytes ()) / 1048576.0:F1} MB"

/// Writes a seeded tiny model (open_clip names), inputs and this code's outputs as safetensors into
/// `dir`, for scripts/check-open-clip-layout.py to load into a PyTorch model built like open_clip's.
/// Dispatches `bench-*` command lines; None when argv is not a bench command.
let tryRun (argv: string[]) : int option =
    let arg i (fallback: string) = if argv.Length > i then argv[i] else fallback
    match Array.tryHead argv with
    | Some "bench-cost" ->
        cost (arg 1 "small") (int (arg 2 "32")) (int (arg 3 "5")) (int (arg 4 (string Environment.ProcessorCount)))
        Some 0
    | Some "bench-memory" -> memory (int (arg 1 "512")) (int64 (arg 2 (string (1L <<< 22)))); Some 0
    | Some "bench-resident" -> residentTrend (arg 1 "powerclip") (int (arg 2 "3000")); Some 0
    | _ -> None
