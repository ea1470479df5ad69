/// A seeded synthetic training step shared by the memory test and the cost benchmark: random images and
/// captions, random-box regions, random parse trees, forward, loss, backward, AdamW.
module PowerClip.Model.Tests.Training

open System
open TorchSharp
open PowerClip.Model
open PowerClip.Model.Tests.TestData

type Batch = { Images: torch.Tensor; Tokens: torch.Tensor; Trees: CaptionTree[] }

/// Captions of `words` words (one token each, between start and end tokens) with random phrase trees.
let randomBatch (r: Random) (cfg: ClipConfig) (batch: int) (words: int) : Batch =
    let ctx = cfg.Text.ContextLength
    if words + 2 > ctx then invalidArg "words" $"{words} words do not fit the context {ctx}"
    let tokens = Array.init (batch * ctx) (fun k ->
        let pos = k % ctx
        if pos = 0 then 49406L elif pos <= words then int64 (r.Next(1, 49000)) elif pos = words + 1 then 49407L else 0L)
    let trees = Array.init batch (fun _ -> captionTree words (randomNodes r words (words - 1)) false)
    { Images = torch.randn(int64 batch, 3L, int64 cfg.Vision.ImageSize, int64 cfg.Vision.ImageSize)
      Tokens = torch.from_array(tokens).reshape(int64 batch, int64 ctx)
      Trees = trees }

/// Builds an objective's own state for this model (A-CLIP's EMA encoder and heads); outside any dispose scope.
let attach (model: ClipModel) (objective: IContrastiveObjective) : unit =
    match objective with
    | :? IStatefulObjective as s -> s.Attach model
    | _ -> ()

/// One optimizer step; returns the loss (read back, so the step is complete when this returns).
let step (model: ClipModel) (optimizer: torch.optim.Optimizer) (objective: IContrastiveObjective) (boxes: RandomBoxSampler) (regions: int) (b: Batch) : float =
    use scope = torch.NewDisposeScope()
    let o = objective.Forward(model, b.Images, b.Tokens, ForwardContext.Default)
    use phrases = PhraseBatch.Build(b.Trees, int b.Tokens.shape[1])
    let masks : torch.Tensor | null = if objective.NeedsRegions then boxes.Sample(int b.Images.shape[0], regions) else null
    let loss = objective.Compute(ObjectiveInputs(o, masks, phrases))
    optimizer.zero_grad()
    loss.Total.backward()
    optimizer.step() |> ignore
    loss.Total.item<float32>() |> float

/// Resident set size after a full collection (native tensors freed by finalizers are included).
let residentBytes () : int64 =
    GC.Collect()
    GC.WaitForPendingFinalizers()
    GC.Collect()
    use p = Diagnostics.Process.GetCurrentProcess()
    p.Refresh()
    p.WorkingSet64

/// Peak resident set size of this process (VmHWM), in bytes; -1 where /proc is unavailable.
let peakResidentBytes () : int64 =
    let path = "/proc/self/status"
    if not (IO.File.Exists path) then -1L
    else
        IO.File.ReadAllLines path
        |> Array.tryFind (fun l -> l.StartsWith "VmHWM:")
        |> Option.map (fun l -> int64 (l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024L)
        |> Option.defaultValue -1L
