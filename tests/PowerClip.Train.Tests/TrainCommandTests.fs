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

/// Runs `powerclip train` to its end; returns its stderr.
let private runToEnd (args: string list) =
    use p = startTrain args
    let err = p.StandardError.ReadToEndAsync()
    p.StandardOutput.ReadToEnd() |> ignore
    p.WaitForExit()
    Expect.equal p.ExitCode 0 $"train exits 0 (stderr: {err.Result})"
    err.Result

/// Starts a run (or resumes it), SIGKILLs it once `latest` names step `afterStep`, and returns that checkpoint's name.
let private killAfter (run: string) (args: string list) (afterStep: int) =
    let name = CheckpointStore.NameOf afterStep
    let pointer = Path.Combine(run, "checkpoints", "latest")
    use p = startTrain args
    let clock = Stopwatch.StartNew()
    let named () = try File.ReadAllText(pointer).Trim() = name with _ -> false
    while not (named ()) && not p.HasExited && clock.Elapsed < TimeSpan.FromMinutes 2.0 do
        Threading.Thread.Sleep 5
    if not p.HasExited then p.Kill true
    p.WaitForExit()
    Expect.isTrue (named ()) $"the run reached checkpoint {name} before it was killed"

let private finalWeights (run: string) = File.ReadAllBytes(Path.Combine(CheckpointStore(run).Resolve "latest",
                                                                        RunFolder.WeightsFile))

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
            runToEnd ([ "--out"; whole ] @ tinyArgs steps) |> ignore
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
            Expect.notEqual resumedFrom (CheckpointStore.NameOf steps)
                "the run was killed before its end (else this test proves nothing)"
            runToEnd [ "--out"; killed; "--resume"; "latest"; "--device"; "cpu"; "--threads"; "1" ] |> ignore
            let a, b = losses whole, losses killed
            Expect.equal (List.map fst b) [ 0 .. steps - 1 ] "every step logged once"
            Expect.sequenceEqual b a $"same per-step losses after resuming from {resumedFrom}"
        }
        test "on WebDataset shards, a run killed twice (mid-epoch, at an epoch's end) and resumed repeats the unbroken \
            run bit for bit" {
            let dir = newRun ()
            let world =
                PowerClip.Data.SyntheticWorld(PowerClip.Data.WorldConfig(ImageSize = 32, PatchSize = 8, Seed = 2))
            let pattern =
                use w = new PowerClip.Data.ShardWriter(dir, "train", 8)
                for s in world.Samples(PowerClip.Data.WorldSplit.Train, 40L) do w.Write(s.ToRaw())
                w.Complete()
                w.Pattern
            let config = Path.Combine(dir, "wds.json")
            // 40 samples in 5 shards, a buffer of 6: resumes land in the buffer's replace and drain phases.
            File.WriteAllText(config, $$"""{ "data": "wds:{{pattern}}", "shuffle_buffer": 6, "data_threads": 2 }""")
            let args = [ "--config"; config ] @ tinyArgs 24
            let whole = newRun ()
            runToEnd ([ "--out"; whole ] @ args) |> ignore
            let killed = newRun ()
            killAfter killed ([ "--out"; killed ] @ args) 6 // batches of 8: 8 samples into epoch 1
            // exactly the end of epoch 2
            killAfter killed [ "--out"; killed; "--resume"; "latest"; "--device"; "cpu" ] 15
            let err = runToEnd [ "--out"; killed; "--resume"; "latest"; "--device"; "cpu" ]
            Expect.isFalse (err.Contains "no data position") $"the position was restored, not replayed: {err}"
            Expect.sequenceEqual (losses killed) (losses whole) "same per-step losses"
            Expect.isTrue (finalWeights killed = finalWeights whole) "the same final weights, bit for bit"
            let position = File.ReadAllText(Path.Combine(CheckpointStore(whole).Resolve "latest",
                                                         RunFolder.PositionsFile))
            Expect.stringContains position "\"epoch\":4,\"emitted\":32"
                "the checkpoint records epoch and place (24 × 8 = 4 × 40 + 32)"
            Expect.stringContains position "\"buffer\":[[" "and the shuffle buffer's records"
            for d in [ dir; whole; killed ] do Directory.Delete(d, true)
        }
        test "a checkpoint without manifest and data position (an older powerclip's) resumes by replaying, \
            and says so" {
            let whole = newRun ()
            runToEnd ([ "--out"; whole ] @ tinyArgs 9) |> ignore
            let old = newRun ()
            runToEnd ([ "--out"; old ] @ tinyArgs 9) |> ignore
            let store = CheckpointStore(old)
            Directory.Delete(store.Resolve "9", true)
            let six = store.Resolve "6"
            File.Delete(Path.Combine(six, RunFolder.ManifestFile))
            File.Delete(Path.Combine(six, RunFolder.PositionsFile))
            File.WriteAllText(Path.Combine(store.Root, "latest"), CheckpointStore.NameOf 6)
            let err = runToEnd [ "--out"; old; "--resume"; "latest"; "--device"; "cpu" ]
            Expect.stringContains err "has no manifest.json (written by an older powerclip)"
                "says the files are not verified"
            Expect.stringContains err "holds no data position" "says it replays"
            Expect.sequenceEqual (losses old) (losses whole) "the replay gives the same losses"
            // A thread count other than the checkpoint's is allowed, with a warning.
            let err2 = runToEnd [ "--out"; old; "--resume"; "latest"; "--device"; "cpu"; "--threads"; "2" ]
            Expect.stringContains err2 "the checkpoint was computed with 1"
                "warns that the continuation is not bit-identical"
            for d in [ whole; old ] do Directory.Delete(d, true)
        }
        test "a checkpoint folder is self-contained and loads for evaluation" {
            let run = newRun ()
            runToEnd ([ "--out"; run; "--score-scale"; "sum" ] @ tinyArgs 3) |> ignore
            let ckpt = TrainedModel.ResolveCheckpoint run
            for f in [ RunFolder.WeightsFile; RunFolder.OptimizerFile; RunFolder.StateFile; RunFolder.ConfigFile
                       RunFolder.PositionsFile; RunFolder.ManifestFile ] do
                Expect.isTrue (File.Exists(Path.Combine(ckpt, f))) $"{f} in the checkpoint"
            use loaded = TrainedModel.Load(ckpt, TorchSharp.torch.CPU)
            Expect.equal loaded.Config.Loss "powerclip" "config travels with the weights"
            Expect.equal loaded.Config.LossSettings.PowerClip.Scale PowerClip.Model.ScoreScale.Sum
                "so do the loss settings (--score-scale sum)"
            let keys = PowerClip.Model.Safetensors.Load(Path.Combine(ckpt, RunFolder.WeightsFile)).Keys |> Set.ofSeq
            for k in [ "visual.conv1.weight"; "token_embedding.weight"; "positional_embedding"; "ln_final.weight";
                       "text_projection"; "logit_scale" ] do
                Expect.isTrue (keys.Contains k) $"open_clip key {k}"
        }
        test "--precision bf16 --grad-checkpointing --negatives global train, are saved in config.json, and the step \
            logs data_wait_s" {
            let run = newRun ()
            runToEnd ([ "--out"; run; "--precision"; "bf16"; "--grad-checkpointing"; "--negatives";
                        "global" ] @ tinyArgs 2) |> ignore
            let config = TrainConfig.Load(RunFolder(run).Config)
            Expect.equal config.Precision PowerClip.Model.Precision.Bf16 "precision"
            Expect.isTrue config.GradCheckpointing "checkpointing"
            Expect.equal config.LossSettings.Negatives PowerClip.Model.Negatives.Global "negatives"
            Expect.equal (TrainConfig().LossSettings.Negatives) PowerClip.Model.Negatives.Local "local is the default"
            for line in MetricsLog.Read(RunFolder(run).Metrics) do
                let wait = line.GetProperty("data_wait_s").GetDouble()
                Expect.isTrue (wait >= 0.0 && wait < 60.0) $"data_wait_s {wait} is a wait in seconds"
        }
        test "bad configs and missing data are one-line errors" {
            let expectError (args: string list) (code: int) (mention: string) =
                expectOneLineError (run ("train" :: args)) code mention
            let out = newRun ()
            expectError [ "--out"; out; "--loss"; "nope" ] 2 "unknown loss 'nope'"
            expectError [ "--out"; out; "--batch-size"; "1" ] 2 "batch size"
            expectError [ "--out"; out; "--zeta"; "1.5" ] 2 "ζ"
            expectError [ "--out"; out; "--score-scale"; "median" ] 2 "--score-scale 'median'"
            expectError [ "--out"; out; "--negatives"; "some" ] 2
                "--negatives 'some' is not valid: expected local or global"
            expectError [ "--out"; out; "--precision"; "fp16" ] 2
                "--precision 'fp16' is not valid: expected fp32 or bf16"
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
