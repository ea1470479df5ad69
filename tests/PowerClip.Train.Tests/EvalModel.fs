/// The tiny checkpoint and the synthetic benchmark export the eval, score and paper tests share (built once, lazily).
module PowerClip.Train.Tests.EvalModel

open System
open System.IO
open System.Text.Json.Nodes
open TorchSharp
open PowerClip.Data
open PowerClip.Train.Models
open PowerClip.Train.Training
open PowerClip.Train.Tests.CliRunner

let root = Path.Combine(Path.GetTempPath(), "powerclip-tests", "eval-" + Guid.NewGuid().ToString("N"))

/// The tiny preset (32 px, patch 8) trained for 3 steps: enough for weights that are not the initial ones.
let runDir =
    lazy (
        let config =
            TrainConfig(Model = "tiny", Loss = "powerclip", BatchSize = 8, WorldSamples = 16, Regions = 4,
                        Optimizer = TrainerOptions(Steps = 3, WarmupSteps = 1, CheckpointEvery = 3, Seed = 1))
        let dir = Path.Combine(root, "run")
        TrainingRun.Run(config, dir, torch.CPU) |> ignore
        dir)

/// Every benchmark format, 12 scenes, at the tiny preset's size.
let export =
    lazy (
        let dir = Path.Combine(root, "bench")
        let world = SyntheticWorld(WorldConfig(ImageSize = 32, PatchSize = 8, Seed = 5))
        BenchmarkExporter(world).ExportAll(dir, 12, 1, 2) |> ignore
        dir)

let bench (name: string) = Path.Combine(export.Value, name)

let tempFile (name: string) = Path.Combine(root, Guid.NewGuid().ToString("N"), name)

let readJson (path: string) : JsonNode = nonNull (JsonNode.Parse(File.ReadAllText path))

let eval (benchmark: string) (data: string) (extra: string list) =
    run ([ "eval"; benchmark; "--data"; data; "--checkpoint"; runDir.Value; "--device"; "cpu"; "--batch-size"; "7" ]
         @ extra)

let expectUsageError (r: CliResult) (mention: string) = expectOneLineError r 2 mention

let copyDir (src: string) (dst: string) =
    for f in Directory.GetFiles(src, "*", SearchOption.AllDirectories) do
        let target = Path.Combine(dst, Path.GetRelativePath(src, f))
        Directory.CreateDirectory(nonNull (Path.GetDirectoryName target)) |> ignore
        File.Copy(f, target)
