module PowerClip.Train.Tests.TrainerTests

open System
open System.IO
open System.Collections.Generic
open Expecto
open TorchSharp
open PowerClip.Train.Training

/// A tiny regression task whose batch is drawn from torch's generator, which the trainer reseeds per step.
type private ToyTask(nanAtStep: int, crashAtStep: int) =
    let model = torch.nn.Sequential(torch.nn.Linear(4L, 16L), torch.nn.Tanh(), torch.nn.Linear(16L, 1L))
    interface ITrainable with
        member _.Module = model
        member _.MicroBatchSize = 8
        member _.Loss(step, _micro, metrics) =
            let x = torch.randn(8L, 4L)
            let y = x.sum(1L, true).sin()
            metrics["x_mean"] <- x.mean().item<float32>() |> float
            let loss = torch.nn.functional.mse_loss(model.forward x, y)
            if step = crashAtStep then raise (OperationCanceledException "killed")
            if step = nanAtStep then loss * Double.NaN else loss
        member _.AfterOptimizerStep() = ()

let private withSteps (steps: int) =
    TrainerOptions(Steps = steps, WarmupSteps = 2, Lr = 1e-2, CheckpointEvery = 3, Seed = 7, AccumulationSteps = 2)

let private options = withSteps 10

let private losses (run: string) =
    MetricsLog.Read(RunFolder(run).Metrics)
    |> Seq.map (fun e -> e.GetProperty("step").GetInt32(), e.GetProperty("loss").GetDouble())
    |> Seq.toList

let private newRun () = Path.Combine(Path.GetTempPath(), "powerclip-tests", Guid.NewGuid().ToString("N"))

let private trainUntil (run: string) (opts: TrainerOptions) (resume: bool) (nanAt: int) (crashAt: int) =
    torch.manual_seed 123L |> ignore // initial weights
    let task = ToyTask(nanAt, crashAt)
    use trainer = new Trainer(task, opts, run)
    if resume then trainer.Resume(trainer.Checkpoints.Resolve "latest")
    trainer.Run(TimeSpan.FromHours 1.0)

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
        test "an incomplete checkpoint is refused with the missing file named" {
            let run = newRun ()
            train run (withSteps 3) false -1
            let ckpt = CheckpointStore(run).Resolve "latest"
            File.Delete(Path.Combine(ckpt, RunFolder.OptimizerFile))
            let e = try train run options true -1; "" with :? FileNotFoundException as e -> e.Message
            Expect.stringContains e RunFolder.OptimizerFile "names the file"
        }
    ]
