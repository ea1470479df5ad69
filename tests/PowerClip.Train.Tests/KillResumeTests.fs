/// `powerclip train` SIGKILLed at 20 random moments — during start-up, steps and checkpoint writes — and resumed
/// each time with `--resume latest`: every resume must find an intact checkpoint no older than the newest one
/// seen before, and the run must end with the weights of an unbroken run, bit for bit.
module PowerClip.Train.Tests.KillResumeTests

open System
open System.Diagnostics
open System.IO
open Expecto
open PowerClip.Train.Training

let private powerclipDll = Path.Combine(AppContext.BaseDirectory, "powerclip.dll")

/// Tiny settings: 96 steps of 4 samples, a checkpoint every 2 steps (writes are a large share of the time).
let private args =
    [ "--model"; "tiny"; "--loss"; "powerclip"; "--steps"; "96"; "--batch-size"; "4"; "--world-samples"; "24"
      "--checkpoint-every"; "2"; "--warmup"; "2"; "--regions"; "4"; "--seed"; "5"; "--device"; "cpu"; "--threads"; "1" ]

/// The training process and what it printed on stderr.
let private start (run: string) (extra: string list) =
    let psi = ProcessStartInfo("dotnet", [ powerclipDll; "train"; "--out"; run ] @ extra,
                               RedirectStandardOutput = true, RedirectStandardError = true)
    let p = nonNull (Process.Start psi)
    let err = Text.StringBuilder()
    p.OutputDataReceived.Add ignore
    p.ErrorDataReceived.Add(fun e -> if not (isNull e.Data) then lock err (fun () -> err.AppendLine e.Data |> ignore))
    p.BeginOutputReadLine()
    p.BeginErrorReadLine()
    p, err

let private finish (p: Process, err: Text.StringBuilder) =
    p.WaitForExit()
    Expect.equal p.ExitCode 0 $"train exits 0 ({lock err (fun () -> err.ToString())})"

let private loggedSteps (run: string) =
    try File.ReadAllLines(RunFolder(run).Metrics).Length with _ -> 0

let private writing (store: CheckpointStore) =
    Directory.Exists store.Root && Directory.GetDirectories(store.Root, ".step-*.tmp").Length > 0

let private stepOf (dir: string) = int ((nonNull (Path.GetFileName dir)).Substring 5)

[<Tests>]
let tests =
    testSequenced <| testList "kill and resume" [
        test "20 SIGKILLs at random moments (start-up, steps, checkpoint writes): every resume finds an intact \
            checkpoint, nothing saved is lost, the final weights equal an unbroken run's" {
            let clock = Stopwatch.StartNew()
            let whole = Path.Combine(Path.GetTempPath(), "powerclip-tests", Guid.NewGuid().ToString("N"))
            let unbroken = start whole args // runs beside the kills
            let run = Path.Combine(Path.GetTempPath(), "powerclip-tests", Guid.NewGuid().ToString("N"))
            let store = CheckpointStore(run)
            let rng = Random 2026
            let mutable newestSeen = 0
            let mutable duringWrites = 0
            let mutable intactFound = 0
            for kill in 0 .. 19 do
                let resume = store.List().Count > 0
                // resumed without --threads: the checkpoint's count
                let p, _ = start run (if resume then [ "--resume"; "latest" ] else args)
                let before = loggedSteps run
                let until (ready: unit -> bool) =
                    let waited = Stopwatch.StartNew()
                    while not (ready ()) && not p.HasExited
                        && waited.Elapsed < TimeSpan.FromMinutes 2.0 do Threading.Thread.Sleep 1
                match kill % 3 with
                | 0 -> until (fun () -> writing store); Threading.Thread.Sleep(rng.Next 4) // inside a checkpoint write
                | 1 ->
                    let steps = 1 + rng.Next 3
                    until (fun () -> loggedSteps run >= before + steps); Threading.Thread.Sleep(rng.Next 30)
                | _ -> Threading.Thread.Sleep(100 + rng.Next 1400) // anywhere, start-up included
                Expect.isFalse p.HasExited $"kill {kill}: the run was still going (96 steps outlast 20 lives)"
                p.Kill()
                p.WaitForExit()
                if writing store then duringWrites <- duringWrites + 1
                if store.List().Count > 0 then
                    let choice = store.ResolveIntact "latest" // throws if nothing intact is left
                    intactFound <- intactFound + 1
                    Expect.isGreaterThanOrEqual (stepOf choice.Directory) newestSeen
                        $"kill {kill}: no saved step is lost ({choice.Note})"
                    newestSeen <- stepOf choice.Directory
            finish (start run [ "--resume"; "latest" ])
            finish unbroken
            Expect.isEmpty (Directory.GetFileSystemEntries(store.Root, ".*.tmp")) "no temporary folder is left"
            let final (r: string) = File.ReadAllBytes(Path.Combine(CheckpointStore(r).Resolve "latest",
                                                                   RunFolder.WeightsFile))
            Expect.equal (Path.GetFileName(CheckpointStore(run).Resolve "latest")) (CheckpointStore.NameOf 96)
                "the killed run reached the end"
            Expect.isTrue (final run = final whole) "final weights equal the unbroken run's, bit for bit"
            Expect.isGreaterThanOrEqual duringWrites 3 "several kills landed inside a checkpoint write"
            for r in [ run; whole ] do Directory.Delete(r, true) // 2 × 60 MB of checkpoints
            printfn "kill test: 20 kills (%d inside a checkpoint write); all %d kills after the first checkpoint left \
                an intact one, never older than the newest seen; final weights equal; %.0f s"
                duringWrites intactFound clock.Elapsed.TotalSeconds
        }
    ]
