module PowerClip.Train.Tests.TrainerTests

open System
open System.IO
open System.Collections.Generic
open Expecto
open TorchSharp
open PowerClip.Train.Training

/// Recursive copy of a run folder (the tests damage copies).
module private FileSystem =
    let rec CopyDirectory (source: string, target: string) =
        Directory.CreateDirectory target |> ignore
        for f in Directory.GetFiles source do File.Copy(f, Path.Combine(target, nonNull (Path.GetFileName f)))
        for d in Directory.GetDirectories source do CopyDirectory(d, Path.Combine(target, nonNull (Path.GetFileName d)))

/// How a step of the toy task goes wrong: its loss stays finite, one gradient becomes NaN or infinite.
type private Poison =
    | NanGradient
    | InfGradient

/// A tiny regression task whose batch is drawn from torch's generator, which the trainer reseeds per step.
/// It records the weights at the start of every step, and can poison gradients or weights at chosen steps.
type private ToyTask(nanAtStep: int, crashAtStep: int, poison: Map<int, Poison>, nanWeightsAfter: int) =
    let model = torch.nn.Sequential(torch.nn.Linear(4L, 16L), torch.nn.Tanh(), torch.nn.Linear(16L, 1L))
    let seen = Dictionary<int, float32[]>()
    new(nanAtStep, crashAtStep) = ToyTask(nanAtStep, crashAtStep, Map.empty, -1)
    member _.WeightsAtStart = seen
    interface ITrainable with
        member _.Module = model
        member _.MicroBatchSize = 8
        member _.Loss(step, _micro, metrics) =
            seen[step] <-
                model.parameters() |> Seq.collect (fun p -> p.detach().data<float32>().ToArray()) |> Array.ofSeq
            let x = torch.randn(8L, 4L)
            let y = x.sum(1L, true).sin()
            metrics["x_mean"] <- x.mean().item<float32>() |> float
            let loss = torch.nn.functional.mse_loss(model.forward x, y)
            if step = crashAtStep then raise (OperationCanceledException "killed")
            // t is 0 with gradient 1: √t adds 0 to the loss and ∞ to the gradient; √|t| adds 0 and 0·∞ = NaN.
            let t = (let p = Seq.head (model.parameters()) in p - p.detach())
            match Map.tryFind step poison with
            | Some NanGradient -> loss + t.abs().sqrt().sum()
            | Some InfGradient -> loss + t.sqrt().sum()
            | None -> if step = nanAtStep then loss * Double.NaN else loss
        member _.AfterOptimizerStep() =
            if seen.Count - 1 = nanWeightsAfter then
                use _ = torch.no_grad()
                (Seq.last (model.parameters())).fill_(Double.NaN) |> ignore

let private withSteps (steps: int) =
    TrainerOptions(Steps = steps, WarmupSteps = 2, Lr = 1e-2, CheckpointEvery = 3, Seed = 7, AccumulationSteps = 2)

let private options = withSteps 10

let private guarded (clip: float) (maxSkips: int) =
    TrainerOptions(Steps = 10, WarmupSteps = 2, Lr = 1e-2, CheckpointEvery = 3, Seed = 7, AccumulationSteps = 2,
                   GradClip = clip, MaxNonFiniteSkips = maxSkips)

let private losses (run: string) =
    MetricsLog.Read(RunFolder(run).Metrics)
    |> Seq.map (fun e -> e.GetProperty("step").GetInt32(), e.GetProperty("loss").GetDouble())
    |> Seq.toList

let private newRun () = Path.Combine(Path.GetTempPath(), "powerclip-tests", Guid.NewGuid().ToString("N"))

let private trainTask (run: string) (opts: TrainerOptions) (resume: bool) (task: ToyTask) =
    use trainer = new Trainer(task, opts, run)
    if resume then trainer.Resume(trainer.Checkpoints.Resolve "latest")
    trainer.Run(TimeSpan.FromHours 1.0)

let private trainUntil (run: string) (opts: TrainerOptions) (resume: bool) (nanAt: int) (crashAt: int) =
    torch.manual_seed 123L |> ignore // initial weights
    trainTask run opts resume (ToyTask(nanAt, crashAt))

/// A toy run with poisoned gradients (and optionally weights, and a crash); returns the task.
let private trainPoisoned (run: string) (opts: TrainerOptions) (resume: bool) (poison: Map<int, Poison>)
                          (nanWeightsAfter: int) (crashAt: int) =
    torch.manual_seed 123L |> ignore
    let task = ToyTask(-1, crashAt, poison, nanWeightsAfter)
    trainTask run opts resume task
    task

let private metricLines (run: string) = MetricsLog.Read(RunFolder(run).Metrics) |> Seq.toList

let private train run opts resume nanAt = trainUntil run opts resume nanAt -1

[<Tests>]
let tests =
    testSequenced <| testList "trainer" [
        test "a run stopped after a checkpoint and resumed repeats the uninterrupted run's losses exactly" {
            let whole = newRun ()
            train whole options false -1
            let broken = newRun ()
            // killed while computing step 7 (0-based): checkpoints after 3 and 6 steps, metrics up to step 6
            Expect.throwsT<OperationCanceledException> (fun () -> trainUntil broken options false -1 7) "the run dies"
            train broken options true -1
            let a, b = losses whole, losses broken
            Expect.equal (List.map fst b) [ 0 .. 9 ] "every step logged once"
            Expect.sequenceEqual b a "same per-step losses, bit for bit"
            Expect.isLessThan (snd a[9]) (snd a[0]) "and the loss fell"
        }
        test "a NaN loss stops the run with a message and keeps the last good checkpoint" {
            let run = newRun ()
            let e =
                try train run options false 4; "" with :? NonFiniteLossException as e -> e.Message
            Expect.stringContains e "step 4" "names the step"
            Expect.stringContains e "step-0000003" "names the last good checkpoint"
            let store = CheckpointStore(run)
            Expect.stringContains (store.Resolve "latest") "step-0000003" "checkpoint 3 is still the latest"
            // and it loads
            train run (withSteps 4) true -1
        }
        test "a NaN or infinite gradient (finite loss) skips the optimizer step: weights unchanged, logged, counted" {
            for clip in [ 1.0; 0.0 ] do // the clip's norm, or the norm computed for the check alone
                let run = newRun ()
                let task = trainPoisoned run (guarded clip 5) false (Map [ 4, NanGradient; 6, InfGradient ]) -1 -1
                let w = task.WeightsAtStart
                Expect.equal w[5] w[4] $"clip {clip}: step 4 (NaN gradient) left the weights as they were"
                Expect.equal w[7] w[6] $"clip {clip}: step 6 (infinite gradient) too"
                Expect.notEqual w[4] w[3] "a normal step changes them (so the check can fail)"
                let lines = metricLines run
                Expect.equal (lines |> List.map (fun l -> l.GetProperty("step").GetInt32())) [ 0 .. 9 ]
                    "every step logged once"
                let field (step: int) (name: string) = lines[step].GetProperty(name)
                Expect.equal ((field 4 "grad_norm").GetString()) "NaN" "the NaN norm is logged"
                Expect.equal ((field 6 "grad_norm").GetString()) "Infinity" "the infinite norm too"
                for step, skipped, count in [ 3, false, 0; 4, true, 1; 5, false, 1; 6, true, 2; 9, false, 2 ] do
                    Expect.equal (lines[step].TryGetProperty("skipped") |> fst) skipped
                        $"step {step} marked skipped: {skipped}"
                    Expect.equal ((field step "nonfinite_skips").GetInt32()) count $"skips counted up to step {step}"
                let state = File.ReadAllText(Path.Combine(CheckpointStore(run).Resolve "latest", RunFolder.StateFile))
                Expect.stringContains state "\"NonFiniteSkips\": 2" "the count is in the checkpoint"
        }
        test "K consecutive non-finite gradients stop the run with one line naming the steps and the last good \
            checkpoint" {
            let run = newRun ()
            let e =
                try
                    trainPoisoned run (guarded 1.0 3) false (Map [ for s in 4 .. 6 -> s, NanGradient ]) -1 -1 |> ignore
                    ""
                with :? NonFiniteGradientException as e -> e.Message
            Expect.stringContains e "3 consecutive steps (4 to 6)" "names the steps"
            // Skipped steps leave the weights finite: checkpoint 6 (after skipping 4 and 5) is a good one.
            Expect.stringContains e "step-0000006" "names the last good checkpoint"
            Expect.isFalse (e.Contains '\n') "one line"
            Expect.stringContains (CheckpointStore(run).Resolve "latest") "step-0000006"
                "checkpoint 6 is still the latest"
            // Two in a row under a limit of three: the run goes on.
            trainPoisoned (newRun ()) (guarded 1.0 3) false (Map [ 4, NanGradient; 5, InfGradient ]) -1 -1 |> ignore
        }
        test "the skip count and the skipped steps survive a resume bit for bit" {
            let poison = Map [ 4, NanGradient ]
            let whole = newRun ()
            trainPoisoned whole options false poison -1 -1 |> ignore
            let broken = newRun ()
            Expect.throwsT<OperationCanceledException>
                (fun () -> trainPoisoned broken options false poison -1 8 |> ignore) "the run dies at step 8"
            trainPoisoned broken options true poison -1 -1 |> ignore
            Expect.sequenceEqual (losses broken) (losses whole) "same per-step losses"
            Expect.equal ((List.last (metricLines broken)).GetProperty("nonfinite_skips").GetInt32()) 1
                "the count continues from the checkpoint"
        }
        test "weights that became non-finite are never checkpointed" {
            let run = newRun ()
            // Step 5's update leaves NaN weights; checkpoint 6 is written right after it.
            let e =
                try trainPoisoned run options false Map.empty 5 -1 |> ignore; ""
                with :? NonFiniteWeightsException as e -> e.Message
            Expect.stringContains e "after step 6" "names the step"
            Expect.stringContains e "2.bias" "names the parameter"
            Expect.stringContains e "step-0000003" "names the last good checkpoint"
            Expect.stringContains (CheckpointStore(run).Resolve "latest") "step-0000003" "no checkpoint 6"
        }
        test "truncating, emptying or corrupting any file of the newest checkpoint: latest falls back to the previous \
            one, naming the file" {
            let run = newRun ()
            train run (withSteps 6) false -1
            let store = CheckpointStore(run)
            let newest = store.Resolve "latest"
            let files = Directory.GetFiles newest |> Array.map (Path.GetFileName >> nonNull) |> Array.sort
            Expect.equal files [| RunFolder.ManifestFile; RunFolder.WeightsFile; RunFolder.OptimizerFile;
                                  RunFolder.StateFile |] "the files of a checkpoint"
            let damages : (string * (byte[] -> byte[])) list =
                [ "truncated", (fun b -> b[.. b.Length / 2 - 1])
                  "emptied", (fun _ -> [||])
                  "corrupted", (fun b -> let c = Array.copy b in c[c.Length / 2] <- c[c.Length / 2] ^^^ 0x10uy; c) ]
            for file in files do
                for damage, apply in damages do
                    let copy = newRun ()
                    FileSystem.CopyDirectory(run, copy)
                    let path = Path.Combine(copy, "checkpoints", nonNull (Path.GetFileName newest), file)
                    File.WriteAllBytes(path, apply (File.ReadAllBytes path))
                    let choice = CheckpointStore(copy).ResolveIntact "latest"
                    Expect.equal (Path.GetFileName choice.Directory) (CheckpointStore.NameOf 3)
                        $"{file} {damage}: falls back to step 3"
                    let note = nonNull choice.Note
                    Expect.stringContains note "step-0000006 is damaged" $"{file} {damage}: says which checkpoint"
                    // A corrupted manifest may still parse, with one hash digit changed: then it names that file.
                    if file <> RunFolder.ManifestFile || damage <> "corrupted" then
                        Expect.stringContains note file $"{file} {damage}: names the file: {note}"
                    Expect.isFalse (note.Contains '\n') "one line"
            // …and the fallback resumes to the same end as an uninterrupted run.
            let whole = newRun ()
            train whole (withSteps 6) false -1
            let copy = newRun ()
            FileSystem.CopyDirectory(run, copy)
            File.WriteAllBytes(Path.Combine(copy, "checkpoints", nonNull (Path.GetFileName newest),
                                            RunFolder.WeightsFile), [||])
            train copy (withSteps 6) true -1
            Expect.sequenceEqual (losses copy) (losses whole) "resumed from step 3, same losses"
            let weights r = File.ReadAllBytes(Path.Combine(CheckpointStore(r).Resolve "latest", RunFolder.WeightsFile))
            Expect.equal (weights copy) (weights whole) "and the same final weights"
        }
        test "an incomplete checkpoint is refused with the missing file named" {
            let run = newRun ()
            train run (withSteps 3) false -1
            let ckpt = CheckpointStore(run).Resolve "latest"
            File.Delete(Path.Combine(ckpt, RunFolder.OptimizerFile))
            let e = try train run options true -1; "" with :? FileNotFoundException as e -> e.Message
            Expect.stringContains e RunFolder.OptimizerFile "names the file"
        }
    ]
