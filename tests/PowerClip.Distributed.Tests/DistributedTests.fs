module PowerClip.Distributed.Tests.DistributedTests

open System
open System.IO
open System.Text.RegularExpressions
open Expecto
open TorchSharp
open PowerClip.Model
open PowerClip.Train.Training
open PowerClip.Train.Training.Distributed
open PowerClip.Distributed.Tests.TwoTower
open PowerClip.Distributed.Tests.Worker

let private newDir () =
    let d = Path.Combine(Path.GetTempPath(), "powerclip-tests", "distributed-" + Guid.NewGuid().ToString("N"))
    Directory.CreateDirectory d |> ignore
    d

let private jobTimeout = TimeSpan.FromSeconds 120.0
let private perRank = 4
let private cases = [ "clip:f64"; "powerclip:f64"; "clip:f32"; "powerclip:f32" ]

/// One mpiexec job trains every case for one step with 2 ranks × perRank samples.
let private exactJob =
    lazy (
        let dir = newDir ()
        let job = MpiJob.run 2 [ "exact"; "--out"; dir; "--cases"; String.Join(",", cases); "--per-rank";
                                 string perRank; "--steps"; "1" ] jobTimeout
        if job.ExitCode <> 0 then failwithf "the 2-rank job failed (exit code %d):\n%s" job.ExitCode job.Output
        dir)

/// The same training in this process, without MPI, on the whole global batch.
let private referenceRun (c: RunConfig) : Snapshot.Entry list * string =
    torch.set_num_threads 1
    let run = newDir ()
    train SingleProcessContext.Instance { c with Run = run }, run

let private reference (c: RunConfig) : Snapshot.Entry list = fst (referenceRun c)

let private loggedLosses (run: string) : float list =
    MetricsLog.Read(RunFolder(run).Metrics) |> Seq.map (fun e -> e.GetProperty("loss").GetDouble()) |> Seq.toList

let private exactness (case: string) (tolerance: float) =
    test $"2 ranks × batch {perRank} give one process × batch {2 * perRank}'s weights and gradients after one step \
        ({case}, within {tolerance:g})" {
        let dir = exactJob.Force()
        let loss, dtype = parseLoss (case.Split ':').[0], parseDtype (case.Split ':').[1]
        let distributed = Snapshot.load (Path.Combine(dir, case.Replace(':', '-') + ".bin"))
        let single, singleRun =
            referenceRun { defaultRun "" with Loss = loss; Dtype = dtype; PerRank = 2 * perRank; Steps = 1 }
        let dv, dg = Snapshot.maxDiff distributed single
        Expect.isLessThanOrEqual dv tolerance "weights after the step"
        Expect.isLessThanOrEqual dg tolerance "summed gradients"
        // Discriminating power: one rank's half batch alone gives a clearly different gradient.
        let half = reference { defaultRun "" with Loss = loss; Dtype = dtype; PerRank = perRank; Steps = 1 }
        let _, dgHalf = Snapshot.maxDiff half single
        Expect.isGreaterThan dgHalf (1000.0 * tolerance) "a half batch differs by far more than the tolerance"
        let metrics = MetricsLog.Read(RunFolder(Path.Combine(dir, case.Replace(':', '-'))).Metrics) |> Seq.toList
        Expect.equal metrics.Length 1 "one metrics line: only rank 0 writes"
        let lossDiff = abs (metrics[0].GetProperty("loss").GetDouble() - List.exactlyOne (loggedLosses singleRun))
        Expect.isLessThanOrEqual lossDiff (10.0 * tolerance)
            "the logged loss is the global-batch loss (it is ~10, so 10 × the tolerance)"
        Expect.isTrue (metrics[0].TryGetProperty "comm_s" |> fst) "communication time is logged"
    }

/// The real model: one mpiexec job per (ranks, negatives) trains each objective for one step with K ranks × perRank.
let private clipLosses = [ "clip"; "powerclip"; "filip"; "sparc" ]

let private clipJobs =
    [ for ranks, negatives in [ 2, "global"; 2, "local"; 3, "local" ] ->
        (ranks, negatives),
        lazy (
            let dir = newDir ()
            let job =
                MpiJob.run ranks [ "clip-exact"; "--out"; dir; "--cases"; String.Join(",", clipLosses); "--per-rank";
                                   string perRank
                                   "--negatives"; negatives ] jobTimeout
            if job.ExitCode <> 0 then failwithf "the %d-rank job failed (exit code \
                                          %d):\n%s" ranks job.ExitCode job.Output
            dir) ]
    |> Map.ofList

/// One process × the global batch, each objective once (shared by every job's tests).
let private clipSingle =
    clipLosses
    |> List.map (fun loss ->
        loss,
        lazy (
            torch.set_num_threads 1
            let run = newDir ()
            let single = ClipRun.train None (ClipRun.config loss Negatives.Local (2 * perRank)) 1000 run
            single, run))
    |> Map.ofList

let private clipExactness (ranks: int) (negatives: string) (loss: string) =
    test $"tiny CLIP model, float64, {loss} loss, {negatives} negatives: {ranks} ranks × batch {perRank} give one \
        process × batch {ranks * perRank}'s weights and gradients after one step (within 1e-10)" {
        let dir = clipJobs[(ranks, negatives)].Force()
        torch.set_num_threads 1
        let distributed = Snapshot.load (Path.Combine(dir, $"clip-{loss}.bin"))
        let single, singleRun =
            if ranks = 2 then clipSingle[loss].Force()
            else
                let run = newDir ()
                ClipRun.train None (ClipRun.config loss Negatives.Local (ranks * perRank)) 1000 run, run
        let dv, dg = Snapshot.maxDiff distributed single
        printfn $"clip-exact {ranks} ranks {negatives} {loss}: max |Δ weight| {dv:g3}, max |Δ gradient| {dg:g3}"
        Expect.isLessThanOrEqual dv 1e-10 "weights after the step"
        Expect.isLessThanOrEqual dg 1e-10 "summed gradients"
        // Discriminating power: rank 0's part of the batch alone gives a clearly different gradient.
        let _, dgPart =
            Snapshot.maxDiff (ClipRun.train None (ClipRun.config loss Negatives.Local perRank) 1000 (newDir ())) single
        Expect.isGreaterThan dgPart 1e-7 "a part of the batch differs by far more than the tolerance"
        let metrics = MetricsLog.Read(RunFolder(Path.Combine(dir, $"clip-{loss}")).Metrics) |> Seq.toList
        Expect.equal metrics.Length 1 "one metrics line: only rank 0 writes"
        let logged (name: string) (m: Text.Json.JsonElement) = m.GetProperty(name).GetDouble()
        let reference = MetricsLog.Read(RunFolder(singleRun).Metrics) |> Seq.exactlyOne
        Expect.isLessThanOrEqual (abs (logged "loss" metrics[0] - logged "loss" reference)) 1e-10
            "the logged loss is the global-batch loss (the sum of the ranks' shares)"
        for part in [ "clip"; "triplet"; "positive_score"; "filip"; "fine" ] do
            match reference.TryGetProperty part with
            | true, v ->
                Expect.isLessThanOrEqual (abs (logged part metrics[0] - v.GetDouble())) 1e-10
                    $"the logged {part} is the global batch's"
            | _ -> ()
    }

/// `powerclip train … --distributed mpi` with 2 ranks × 4 against `powerclip train` with one process × 8 (float32).
let private programArgs (run: string) (batch: int) =
    [ "train"; "--out"; run; "--loss"; "powerclip"; "--world-samples"; "32"; "--batch-size"; string batch; "--steps";
      "3"
      "--warmup"; "1"; "--checkpoint-every"; "1"; "--threads"; "1" ]

let private stepLosses (run: string) : (int * float) list =
    MetricsLog.Read(RunFolder(run).Metrics)
    |> Seq.map (fun e -> e.GetProperty("step").GetInt32(), e.GetProperty("loss").GetDouble()) |> Seq.toList

/// float32 losses (~3) summed in another order over ranks: measured differences ≤ 3e-7; 1e-5 is ~40 ulps.
let private expectSameLosses (actual: (int * float) list) (expected: (int * float) list) (what: string) =
    Expect.equal (List.map fst actual) (List.map fst expected) $"{what}: the same steps, each logged once"
    for (step, a), (_, e) in List.zip actual expected do
        Expect.isLessThanOrEqual (abs (a - e)) 1e-5 $"{what}: loss of step {step} ({a} vs {e})"

let private programTests =
    test "powerclip train --distributed mpi (2 ranks × 4) logs one process × 8's losses; only rank 0 writes; a resumed \
        distributed run repeats the interrupted steps" {
        let run = newDir ()
        let job = MpiJob.runProgram 2 (programArgs run 4 @ [ "--distributed"; "mpi" ]) jobTimeout
        Expect.equal job.ExitCode 0 $"the 2-rank job succeeds:\n{job.Output}"
        Expect.equal (Regex.Matches(job.Output, "training powerclip on world").Count) 1
            $"one rank reports:\n{job.Output}"
        Expect.stringContains job.Output "4 per rank × 2 ranks" "the report names the split"
        let single = newDir ()
        Expect.equal (PowerClip.Cli.Cli.Run(PowerClip.Cli.PowerClipCli.CreateRoot(),
                                            List.toArray (programArgs single 8))) 0 "one process × 8 runs"
        let losses = stepLosses run
        expectSameLosses losses (stepLosses single) "2 ranks × 4 against 1 × 8"
        for e in MetricsLog.Read(Path.Combine(run, "metrics.jsonl")) do
            Expect.equal (e.GetProperty("given_mask_share").GetDouble()) 1.0 "rank 0's world rows carry their masks"
        Expect.equal (CheckpointStore(run).List() |> Seq.map (fun struct (s, _) -> s) |> Seq.toList) [ 1; 2; 3 ]
            "rank 0 wrote every checkpoint"
        // Interrupt after step 2: drop the last checkpoint, then resume under mpiexec.
        let store = CheckpointStore(run)
        let uninterrupted = File.ReadAllBytes(Path.Combine(store.Resolve "3", RunFolder.WeightsFile))
        Directory.Delete(store.Resolve "3", true)
        File.WriteAllText(Path.Combine(store.Root, "latest"), CheckpointStore.NameOf 2 + "\n")
        let resumed = MpiJob.runProgram 2 [ "train"; "--out"; run; "--resume"; "latest"; "--threads"; "1";
                                            "--distributed"; "mpi" ] jobTimeout
        Expect.equal resumed.ExitCode 0 $"the resumed job succeeds:\n{resumed.Output}"
        Expect.stringContains resumed.Output "(step 2)" "it resumed at step 2"
        expectSameLosses (stepLosses run) losses "resumed against uninterrupted"
        Expect.equal (File.ReadAllBytes(Path.Combine(store.Resolve "latest", RunFolder.WeightsFile))) uninterrupted
            "the final weights are bit-identical"
    }

/// The masking baselines mask (and A-CLIP crops) with a generator per rank, so no one-process run has their masks:
/// this checks that they train data-parallel through the program (their gathered losses: DistributedClipTrainable).
let private maskingBaselineTests =
    test "train --distributed mpi (2 ranks × 4) runs e-clip, clip-pgs and a-clip; rank 0 writes A-CLIP's state" {
        for loss in [ "e-clip"; "clip-pgs"; "a-clip" ] do
            let run = newDir ()
            let args =
                [ "train"; "--out"; run; "--loss"; loss; "--world-samples"; "32"; "--batch-size"; "4"; "--steps"; "2"
                  "--warmup"; "1"; "--checkpoint-every"; "2"; "--threads"; "1"; "--distributed"; "mpi" ]
            let job = MpiJob.runProgram 2 args jobTimeout
            Expect.equal job.ExitCode 0 $"{loss}: the 2-rank job succeeds:\n{job.Output}"
            let losses = stepLosses run
            Expect.equal (List.map fst losses) [ 0; 1 ] $"{loss}: each step logged once"
            Expect.isTrue (losses |> List.forall (snd >> Double.IsFinite)) $"{loss}: finite losses {losses}"
            let state =
                File.Exists(Path.Combine(CheckpointStore(run).Resolve "latest", RunFolder.ObjectiveStateFile))
            Expect.equal state (loss = "a-clip") $"{loss}: objective state file only for A-CLIP"
    }

let private stampOf (run: string) = DateTime(int64 (File.ReadAllText(Path.Combine(run, "failed-at.txt"))),
                                             DateTimeKind.Utc)

/// 6 steps, checkpoints every 2; rank 1 fails while computing step 3 (0-based), after checkpoint step-0000002.
let private failingJob (kind: string) =
    let run = newDir ()
    let job =
        MpiJob.run 2 [ "train"; "--run"; run; "--out"; Path.Combine(run, "final.bin"); "--steps"; "6";
                       "--checkpoint-every"; "2"
                       "--per-rank"; string perRank; "--fail-rank"; "1"; "--fail-step"; "3"; "--fail-kind"; kind
                       "--stamp"; Path.Combine(run, "failed-at.txt") ] jobTimeout
    run, job

let private killedJob = lazy (failingJob "kill")

let private expectCheckpointIntact (run: string) =
    let store = CheckpointStore(run)
    Expect.stringContains (store.Resolve "latest") "step-0000002" "the last checkpoint before the failure is the latest"
    Expect.isFalse (File.Exists(Path.Combine(run, "final.bin"))) "the run did not finish"
    // It loads (into a fresh single-process trainer) and names the step.
    torch.manual_seed 1L |> ignore
    let c = { defaultRun run with PerRank = perRank; Steps = 6 }
    let model = new TwoTowerModel(c.Size, c.Dtype)
    use trainer = new Trainer(ContrastiveTask(model, c.Size, perRank, c.Loss, c.Dtype, None), options c, newDir ())
    trainer.Resume(store.Resolve "latest")
    Expect.equal trainer.Step 2 "resumed at step 2"

/// Rank 0 of a pretend 2-rank job whose collectives must not be reached.
let private twoRanks : IDistributedContext =
    { new IDistributedContext with
        member _.Rank = 0
        member _.Size = 2
        member _.LocalRank = 0
        member _.IsMain = true
        member _.Device = torch.CPU
        member _.CommunicationTime = TimeSpan.Zero
        member _.Broadcast(_, _) = failwith "no collective expected"
        member _.AllReduceSum _ = failwith "no collective expected"
        member _.AllGather(_: torch.Tensor) : torch.Tensor = failwith "no collective expected"
        member _.AllGatherWithGrad(_: torch.Tensor) : torch.Tensor = failwith "no collective expected"
        member _.AllGather(_: float) : float[] = failwith "no collective expected"
        member _.Abort _ = ()
        member _.Dispose() = () }

[<Tests>]
let contextTests =
    testSequenced <| testList "distributed context" [
        test "Replicated keeps a loss-head parameter's value exactly and divides its gradient by the number of ranks" {
            let s = torch.tensor(2.6592600369327779, dtype = torch.float64, requires_grad = true)
            let r = twoRanks.Replicated s
            Expect.equal (r.ToDouble()) (s.ToDouble()) "same value, bit for bit"
            (r * r).backward()
            Expect.floatClose Accuracy.veryHigh ((nonNull s.grad).ToDouble()) (s.ToDouble()) "d(s²)/ds / 2 = s"
        }
        test "the gather with gradient sums every rank's gradient back to the rows' owner (2 ranks)" {
            let out = Path.Combine(newDir (), "gather.txt")
            let job = MpiJob.run 2 [ "gather-with-grad"; "--out"; out ] jobTimeout
            Expect.equal job.ExitCode 0 $"the 2-rank job succeeds:\n{job.Output}"
            let parts = File.ReadAllText(out).Split ' '
            Expect.equal parts[1] "5" "2 + 3 rows gathered"
            Expect.isLessThanOrEqual (float parts[0]) 1e-12 "each rank's gradient is the sum over ranks of its rows"
        }
        test "a missing MPI library is a one-line error naming the library and how to install MPICH" {
            let job =
                MpiJob.runAlone [ MpiLibrary.EnvironmentVariable, "libpowerclip-no-such-mpi.so.12" ]
                    [ "train"; "--run"; newDir () ] jobTimeout
            Expect.notEqual job.ExitCode 0 "fails"
            Expect.stringContains job.Output "cannot load the MPI library libpowerclip-no-such-mpi.so.12: install MPICH"
                "names library and remedy"
        }
        test "WebDataset shards are split by rank (disjoint, every shard once); fewer shards than ranks is an error" {
            let pattern = "/data/cc12m-{00000..00004}.tar"
            let shards rank ranks =
                (new PowerClip.Data.WebDatasetSource(pattern, PowerClip.Data.StreamOptions(),
                                                     PowerClip.Data.DataProblems(), rank, ranks)).Shards |> Seq.toList
            Expect.equal (shards 0 2) [ "/data/cc12m-00000.tar"; "/data/cc12m-00002.tar"; "/data/cc12m-00004.tar" ]
                "rank 0 of 2"
            Expect.equal (shards 1 2) [ "/data/cc12m-00001.tar"; "/data/cc12m-00003.tar" ] "rank 1 of 2"
            Expect.equal (shards 0 1).Length 5 "one process reads all"
            let e = Expect.throwsC (fun () -> shards 0 6 |> ignore) id
            Expect.stringContains e.Message "names 5 shard(s), fewer than the 6 ranks" "names both counts"
        }
        test "a multi-rank trainer refuses a task that cannot shard its data, naming the interface" {
            let model = torch.nn.Linear(2L, 1L)
            let plain =
                { new ITrainable with
                    member _.Module = model
                    member _.MicroBatchSize = 1
                    member _.Loss(_, _, _) = model.forward(torch.ones(1L, 2L)).sum()
                    member _.AfterOptimizerStep() = () }
            let e = Expect.throwsC (fun () -> new Trainer(plain, TrainerOptions(), newDir (), twoRanks) |> ignore) id
            Expect.stringContains e.Message "IDistributedTrainable" "names what is missing"
        }
    ]

[<Tests>]
let tests =
    testSequenced <| testList "distributed" [
        // float64: 1e-10 (measured: 2.5e-16 on weights, 3.5e-18 on gradients). float32: the ranks'
        // partial gradients are summed in another order than one process's batched sum; 1e-6 is about
        // 4 ulps of the largest weight (the logit scale, 2.66; ulp 2.4e-7) (measured: 3.0e-8 on weights,
        // 1.4e-9 on gradients). Without Replicated on the logit scale the weights differ by 5e-4.
        for case in cases do yield exactness case (if case.EndsWith "f64" then 1e-10 else 1e-6)
        for (ranks, negatives) in Map.keys clipJobs do
            for loss in clipLosses do yield clipExactness ranks negatives loss
        yield programTests
        yield maskingBaselineTests

        yield test "a data error on rank 1 stops both ranks within seconds, names the rank and keeps the last \
                  checkpoint loadable" {
            let run, job = failingJob "throw"
            Expect.notEqual job.ExitCode 0 "the job fails"
            Expect.stringContains job.Output "powerclip: error: rank 1 of 2 failed, stopping all ranks: shard record \
                12 is corrupt (injected)" "names the rank and the error"
            let stopped = (job.EndedUtc - stampOf run).TotalSeconds
            Expect.isLessThan stopped 10.0 $"the whole job ended {stopped:F1} s after the error"
            expectCheckpointIntact run
        }

        yield test "a killed rank stops the job within seconds; mpiexec's pid maps to rank 1 through the start-up \
                  line; the checkpoint survives" {
            let run, job = killedJob.Force()
            Expect.notEqual job.ExitCode 0 "the job fails"
            let startup = Regex.Match(job.Output, @"powerclip: rank 1 of 2: pid (\d+)")
            Expect.isTrue startup.Success $"rank 1 announced its pid:\n{job.Output}"
            Expect.stringContains job.Output $"PID {startup.Groups[1].Value}"
                $"mpiexec names the killed process:\n{job.Output}"
            let stopped = (job.EndedUtc - stampOf run).TotalSeconds
            Expect.isLessThan stopped 10.0 $"the whole job ended {stopped:F1} s after the kill"
            expectCheckpointIntact run
        }

        yield test "the killed run, resumed under mpiexec, ends with the weights of one uninterrupted process with the \
                  global batch (float64, 1e-10)" {
            let run, _ = killedJob.Force()
            let out = Path.Combine(run, "final.bin")
            let job = MpiJob.run 2 [ "train"; "--run"; run; "--out"; out; "--steps"; "6"; "--checkpoint-every"; "2";
                                     "--per-rank"; string perRank; "--resume" ] jobTimeout
            Expect.equal job.ExitCode 0 $"the resumed job succeeds:\n{job.Output}"
            let single = reference { defaultRun "" with PerRank = 2 * perRank; Steps = 6; CheckpointEvery = 2 }
            let dv, _ = Snapshot.maxDiff (Snapshot.load out) single
            Expect.isLessThanOrEqual dv 1e-10 "weights after 6 steps"
            let steps =
                MetricsLog.Read(RunFolder(run).Metrics) |> Seq.map (fun e -> e.GetProperty("step").GetInt32())
                    |> Seq.toList
            Expect.equal steps [ 0 .. 5 ] "every step logged once, by rank 0"
        }
    ]
