/// A seeded synthetic training step shared by the memory test and the cost benchmark: random images and
/// captions, random-box regions, random parse trees, forward, loss, backward, AdamW.
module PowerClip.Model.Tests.Training

open System
open TorchSharp
open PowerClip.Model
open PowerClip.Model.Tests.TestData

/// Captions of `words` words (one token each, between start and end tokens) with random phrase trees, M = 10 boxes.
let randomBatch (r: Random) (cfg: ClipConfig) (batch: int) (words: int) : SyntheticBatch =
    SyntheticBatch.Create(cfg, batch, 10, words, r.Next())

/// Builds an objective's own state for this model (A-CLIP's EMA encoder and heads); outside any dispose scope.
let attach (model: ClipModel) (objective: IContrastiveObjective) : unit =
    match objective with
    | :? IStatefulObjective as s -> s.Attach model
    | _ -> ()

/// One optimizer step; returns the loss (read back, so the step is complete when this returns).
let step (model: ClipModel) (optimizer: torch.optim.Optimizer) (objective: IContrastiveObjective)
         (boxes: RandomBoxSampler) (regions: int) (b: SyntheticBatch) : float =
    use scope = torch.NewDisposeScope()
    let o = objective.Forward(model, b.Images, b.Tokens, ForwardContext.Default)
    let masks : torch.Tensor | null = if objective.NeedsRegions then boxes.Sample(int b.Images.shape[0],
                                                                                  regions) else null
    let loss = objective.Compute(ObjectiveInputs(o, masks, b.Phrases))
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
