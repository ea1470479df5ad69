/// The real CLIP model (the tiny preset, in float64) trained on the synthetic world through the
/// program's own pieces (ModelFactory, TrainingSetup, ClipTrainable, Trainer).
module PowerClip.Distributed.Tests.ClipRun

open System
open TorchSharp
open PowerClip.Data
open PowerClip.Train.Models
open PowerClip.Train.Training
open PowerClip.Train.Training.Distributed

/// One step, AdamW with an active gradient clip, a world of 16 samples, M = 4 regions from the world's masks;
/// `negatives` splits the loss head of a distributed run (irrelevant in one process).
let config (loss: string) (negatives: PowerClip.Model.Negatives) (batch: int) : TrainConfig =
    TrainConfig(Model = "tiny", Loss = loss, Data = "world", WorldSamples = 16, BatchSize = batch, Regions = 4,
                DataThreads = 1,
                LossSettings = PowerClip.Model.ObjectiveSettings(Negatives = negatives),
                Optimizer = TrainerOptions(Steps = 1, WarmupSteps = 0, Lr = 1e-2, GradClip = 0.05, Seed = 11,
                                           CheckpointEvery = 100))
        .Validate()

/// Trains `config` for its steps and returns parameters and last gradients. The model is initialised
/// from `initSeed`; a distributed run passes a different one per rank, so agreement needs rank 0's broadcast.
/// Without a context (None) this is the plain one-process path: no context attached.
let train (context: IDistributedContext option) (c: TrainConfig) (initSeed: int) (run: string) : Snapshot.Entry list =
    let inputs = ModelFactory.Inputs c
    use model = ModelFactory.Create(inputs.Model, initSeed, torch.CPU)
    model.``to``(torch.float64) |> ignore
    use feed = TrainingSetup.Feed(c, inputs, DataProblems(Console.Error), Option.toObj context)
    use local = new ClipTrainable(model, inputs, TrainingSetup.Objective c, feed, c, torch.CPU)
    use trainer = new Trainer(local, c.Optimizer, run, Option.toObj context)
    trainer.Run(TimeSpan.FromHours 1.0)
    Snapshot.take model
