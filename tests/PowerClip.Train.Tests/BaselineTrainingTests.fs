/// The masking baselines in training: `train --loss e-clip|clip-pgs|a-clip` on the synthetic world, resumed runs
/// that repeat uninterrupted ones (A-CLIP's EMA encoder and heads included), and their settings in config.json.
module PowerClip.Train.Tests.BaselineTrainingTests

open System
open System.IO
open Expecto
open TorchSharp
open PowerClip.Model
open PowerClip.Train.Models
open PowerClip.Train.Training
open PowerClip.Train.Tests.CliRunner

let private newRun () = Path.Combine(Path.GetTempPath(), "powerclip-tests", Guid.NewGuid().ToString("N"))

let private config (loss: string) (steps: int) =
    TrainConfig(Model = "tiny", Loss = loss, BatchSize = 8, WorldSamples = 32, Regions = 4, DataThreads = 1,
                Optimizer = TrainerOptions(Steps = steps, WarmupSteps = 2, CheckpointEvery = 3, Seed = 5))

let private metrics (run: string) = MetricsLog.Read(RunFolder(run).Metrics) |> List.ofSeq

let private losses (run: string) =
    metrics run |> List.map (fun e -> e.GetProperty("step").GetInt32(), e.GetProperty("loss").GetDouble())

[<Tests>]
let tests =
    testSequenced <| testList "baseline training" [
        test "train --loss e-clip, clip-pgs and a-clip run on the synthetic world; finite losses, parts logged" {
            let masking = [ "clip"; "visible_patches" ]
            for loss, parts in [ "e-clip", masking; "clip-pgs", masking; "a-clip", [ "clip"; "simclr"; "byol" ] ] do
                let run = newRun ()
                let last = TrainingRun.Run(config loss 4, run, torch.CPU)
                let lines = metrics run
                Expect.equal lines.Length 4 $"{loss}: a line per step"
                for line in lines do
                    Expect.isTrue (Double.IsFinite(line.GetProperty("loss").GetDouble())) $"{loss}: finite loss"
                    for part in parts do Expect.isTrue (line.TryGetProperty(part) |> fst) $"{loss}: {part} logged"
                let saved = TrainConfig.Load(Path.Combine(last, RunFolder.ConfigFile))
                Expect.equal saved.LossSettings (ObjectiveSettings()) $"{loss}: the settings travel with the checkpoint"
                Expect.equal
                    (File.Exists(Path.Combine(last, RunFolder.ObjectiveStateFile))) (loss = "a-clip")
                    $"{loss}: objective state file only where there is state"
                if loss <> "a-clip" then
                    let visible = lines |> List.map (fun l -> l.GetProperty("visible_patches").GetDouble())
                    let cap = if loss = "e-clip" then 11.0 else 8.0
                    Expect.isTrue
                        (visible |> List.forall (fun v -> v >= 1.0 && v <= cap))
                        $"{loss}: 1 ≤ visible patches ≤ {cap} of 16: {visible}"
        }
        test "resumed A-CLIP and CLIP-PGS runs repeat the uninterrupted ones: losses, weights and EMA state" {
            for loss in [ "a-clip"; "clip-pgs" ] do
                let whole = newRun ()
                TrainingRun.Run(config loss 6, whole, torch.CPU) |> ignore
                let resumed = newRun ()
                let from = CheckpointStore.NameOf 3
                Directory.CreateDirectory(Path.Combine(resumed, "checkpoints", from)) |> ignore
                for f in Directory.GetFiles(Path.Combine(whole, "checkpoints", from)) do
                    File.Copy(f, Path.Combine(resumed, "checkpoints", from, nonNull (Path.GetFileName f)))
                File.WriteAllText(Path.Combine(resumed, "checkpoints", "latest"), from + "\n")
                TrainingRun.Run(config loss 6, resumed, torch.CPU, resume = "latest") |> ignore
                let a = losses whole |> List.filter (fun (s, _) -> s >= 3)
                Expect.equal (List.map fst (losses resumed)) [ 3; 4; 5 ] $"{loss}: steps 3–5 after resuming"
                Expect.sequenceEqual (losses resumed) a $"{loss}: same per-step losses, bit for bit"
                let final = CheckpointStore.NameOf 6
                let files =
                    [ RunFolder.WeightsFile ] @ (if loss = "a-clip" then [ RunFolder.ObjectiveStateFile ] else [])
                for f in files do
                    let bytes run = File.ReadAllBytes(Path.Combine(run, "checkpoints", final, f))
                    Expect.isTrue (bytes whole = bytes resumed) $"{loss}: {f} identical"
        }
        test "baseline settings come from config.json; a bad one is a one-line error naming it" {
            let dir = newRun ()
            Directory.CreateDirectory dir |> ignore
            let good = Path.Combine(dir, "good.json")
            File.WriteAllText(good, """{ "model": "tiny", "loss": "clip-pgs",
                                          "loss_settings": { "clip_pgs": { "min_mask_ratio": 0.3 },
                                                         "sparc": { "fine_temperature": 0.05 } } }""")
            let c = TrainConfig.Load good
            Expect.equal c.LossSettings.ClipPgs.MinMaskRatio 0.3 "CLIP-PGS-0.3"
            Expect.equal c.LossSettings.Sparc.FineTemperature (Nullable 0.05) "a fixed SPARC temperature"
            Expect.equal c.LossSettings.AClip (AClipSettings()) "the rest keep their defaults"
            let bad = Path.Combine(dir, "bad.json")
            File.WriteAllText(bad,
                              """{ "model": "tiny", "loss_settings": { "clip_pgs": { "min_mask_ratio": 1.5 } } }""")
            let badRun = run [ "train"; "--out"; newRun (); "--config"; bad ]
            expectOneLineError badRun 2 "CLIP-PGS settings: min_mask_ratio"
            let unknown = Path.Combine(dir, "unknown.json")
            File.WriteAllText(unknown, """{ "model": "tiny", "loss_settings": { "a_clip": { "vews": 2 } } }""")
            expectOneLineError (run [ "train"; "--out"; newRun (); "--config"; unknown ]) 2 "vews"
        }
    ]
