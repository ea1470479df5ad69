module PowerClip.Train.Tests.TrainCommandTests

open System
open System.Diagnostics
open System.IO
open Expecto
open PowerClip.Train.Models
open PowerClip.Train.Training
open PowerClip.Train.Tests.CliRunner

let private newRun () = Path.Combine(Path.GetTempPath(), "powerclip-tests", Guid.NewGuid().ToString("N"))

/// The tiny settings every run here shares; one thread so that separate processes compute identical numbers.
let private tinyArgs (steps: int) =
    [ "--model"; "tiny"; "--loss"; "powerclip"; "--steps"; string steps; "--batch-size"; "8"; "--world-samples"; "48"
      "--checkpoint-every"; "3"; "--warmup"; "2"; "--regions"; "4"; "--seed"; "3"; "--device"; "cpu"; "--threads"; "1" ]

let private powerclipDll = Path.Combine(AppContext.BaseDirectory, "powerclip.dll")

let private startTrain (args: string list) =
    let psi = ProcessStartInfo("dotnet", [ powerclipDll; "train" ] @ args)
    psi.RedirectStandardOutput <- true
    psi.RedirectStandardError <- true
    nonNull (Process.Start psi)

let private runToEnd (args: string list) =
    use p = startTrain args
    let err = p.StandardError.ReadToEndAsync()
    p.StandardOutput.ReadToEnd() |> ignore
    p.WaitForExit()
    Expect.equal p.ExitCode 0 $"train exits 0 (stderr: {err.Result})"

let private losses (run: string) =
    MetricsLog.Read(RunFolder(run).Metrics)
    |> Seq.map (fun e -> e.GetProperty("step").GetInt32(), e.GetProperty("loss").GetDouble())
    |> Seq.toList

[<Tests>]
let tests =
    testSequenced <| testList "train command" [
        test "a run killed mid-way and resumed repeats the uninterrupted run's per-step losses" {
            let steps = 15
            let whole = newRun ()
            runToEnd ([ "--out"; whole ] @ tinyArgs steps)
            let killed = newRun ()
            let first = Path.Combine(killed, "checkpoints", CheckpointStore.NameOf 3)
            do
                use p = startTrain ([ "--out"; killed ] @ tinyArgs steps)
                let clock = Stopwatch.StartNew()
                while not (Directory.Exists first) && not p.HasExited && clock.Elapsed < TimeSpan.FromMinutes 2.0 do
                    Threading.Thread.Sleep 20
                if not p.HasExited then p.Kill true
                p.WaitForExit()
            let resumedFrom = CheckpointStore(killed).Resolve "latest" |> Path.GetFileName
            Expect.notEqual resumedFrom (CheckpointStore.NameOf steps) "the run was killed before its end (else this test proves nothing)"
            runToEnd [ "--out"; killed; "--resume"; "latest"; "--device"; "cpu"; "--threads"; "1" ]
            let a, b = losses whole, losses killed
            Expect.equal (List.map fst b) [ 0 .. steps - 1 ] "every step logged once"
            Expect.sequenceEqual b a $"same per-step losses after resuming from {resumedFrom}"
        }
        test "a checkpoint folder is self-contained and loads for evaluation" {
            let run = newRun ()
            runToEnd ([ "--out"; run; "--score-scale"; "sum" ] @ tinyArgs 3)
            let ckpt = TrainedModel.ResolveCheckpoint run
            for f in [ RunFolder.WeightsFile; RunFolder.OptimizerFile; RunFolder.StateFile; RunFolder.ConfigFile ] do
                Expect.isTrue (File.Exists(Path.Combine(ckpt, f))) $"{f} in the checkpoint"
            use loaded = TrainedModel.Load(ckpt, TorchSharp.torch.CPU)
            Expect.equal loaded.Config.Loss "powerclip" "config travels with the weights"
            Expect.equal loaded.Config.LossSettings.PowerClip.Scale PowerClip.Model.ScoreScale.Sum "so do the loss settings (--score-scale sum)"
            let keys = PowerClip.Model.Safetensors.Load(Path.Combine(ckpt, RunFolder.WeightsFile)).Keys |> Set.ofSeq
            for k in [ "visual.conv1.weight"; "token_embedding.weight"; "positional_embedding"; "ln_final.weight"; "text_projection"; "logit_scale" ] do
                Expect.isTrue (keys.Contains k) $"open_clip key {k}"
        }
        test "bad configs and missing data are one-line errors" {
            let expectError (args: string list) (code: int) (mention: string) = expectOneLineError (run ("train" :: args)) code mention
            let out = newRun ()
            expectError [ "--out"; out; "--loss"; "nope" ] 2 "unknown loss 'nope'"
            expectError [ "--out"; out; "--batch-size"; "1" ] 2 "batch size"
            expectError [ "--out"; out; "--zeta"; "1.5" ] 2 "ζ"
            expectError [ "--out"; out; "--score-scale"; "median" ] 2 "--score-scale 'median'"
            expectError [ "--out"; out; "--data"; "csv:/no/such.csv"; "--device"; "cpu" ] 1 "/no/such.csv"
            expectError [ "--out"; out; "--config"; "/no/such.json" ] 1 "/no/such.json"
            let dir = newRun ()
            Directory.CreateDirectory dir |> ignore
            let bad = Path.Combine(dir, "bad.json")
            File.WriteAllText(bad, """{ "model": "tiny", "learning_rat": 3 }""")
            expectError [ "--out"; out; "--config"; bad ] 2 "learning_rat"
            expectError [ "--out"; newRun (); "--resume"; "latest" ] 1 "config.json"
        }
    ]
