/// What long data-parallel runs need: a resume on WebDataset shards that repeats the uninterrupted 2-rank run
/// bit for bit (every rank's data position travels in rank 0's checkpoint), and non-finite gradients on one
/// rank that make every rank skip the same step.
module PowerClip.Distributed.Tests.LongRunTests

open System
open System.IO
open Expecto
open TorchSharp
open PowerClip.Data
open PowerClip.Train.Training
open PowerClip.Train.Training.Distributed
open PowerClip.Distributed.Tests.TwoTower
open PowerClip.Distributed.Tests.Worker

let private newDir () =
    let d = Path.Combine(Path.GetTempPath(), "powerclip-tests", "distributed-" + Guid.NewGuid().ToString("N"))
    Directory.CreateDirectory d |> ignore
    d

let private jobTimeout = TimeSpan.FromSeconds 180.0

let private stepLosses (run: string) =
    MetricsLog.Read(RunFolder(run).Metrics)
        |> Seq.map (fun e -> e.GetProperty("step").GetInt32(), e.GetProperty("loss").GetDouble()) |> Seq.toList

/// 36 world samples in 6 shards of 6 (3 per rank), a shuffle buffer of 5, 4 per rank: an epoch is 4.5 steps.
let private shardConfig () =
    let dir = newDir ()
    let world = SyntheticWorld(WorldConfig(ImageSize = 32, PatchSize = 8, Seed = 8))
    let pattern =
        use w = new ShardWriter(dir, "train", 6)
        for s in world.Samples(WorldSplit.Train, 36L) do w.Write(s.ToRaw())
        w.Complete()
        w.Pattern
    let config = Path.Combine(dir, "wds.json")
    File.WriteAllText(config, $$"""{ "data": "wds:{{pattern}}", "shuffle_buffer": 5, "data_threads": 2 }""")
    config

let private trainArgs (run: string) (config: string) =
    [ "train"; "--out"; run; "--config"; config; "--model"; "tiny"; "--loss"; "powerclip"; "--batch-size"; "4";
      "--regions"; "4"
      "--steps"; "8"; "--warmup"; "1"; "--checkpoint-every"; "2"; "--seed"; "9"; "--threads"; "1"
      "--distributed"; "mpi" ]

/// A 2-rank run of `--steps 4` with a poisoned gradient on one rank, every rank's parameters saved.
let private poisonedJob (rank: int) (step: int) (kind: string) =
    let run = newDir ()
    let out = Path.Combine(run, "final.bin")
    let job =
        MpiJob.run 2 [ "train"; "--run"; run; "--out"; out; "--steps"; "4"; "--per-rank"; "4"; "--each-rank"
                       "--fail-rank"; string rank; "--fail-step"; string step; "--fail-kind"; kind ] jobTimeout
    Expect.equal job.ExitCode 0 $"the 2-rank job succeeds:\n{job.Output}"
    run, Snapshot.load out, Snapshot.load (out + ".rank1")

let private single (failure: FailurePlan option) =
    torch.set_num_threads 1
    torch.manual_seed 1000L |> ignore
    let c = { defaultRun (newDir ()) with PerRank = 8; Steps = 4 }
    let model = new TwoTowerModel(c.Size, c.Dtype)
    use trainer = new Trainer(ContrastiveTask(model, c.Size, 8, c.Loss, c.Dtype, failure), options c, c.Run)
    trainer.Run(TimeSpan.FromHours 1.0)
    Snapshot.take model

[<Tests>]
let tests =
    testSequenced <| testList "distributed long runs" [
        yield test "2 ranks on WebDataset shards, interrupted after step 4 and resumed under mpiexec, repeat the \
                  uninterrupted run bit for bit" {
            let config = shardConfig ()
            let run = newDir ()
            let job = MpiJob.runProgram 2 (trainArgs run config) jobTimeout
            Expect.equal job.ExitCode 0 $"the 2-rank job succeeds:\n{job.Output}"
            let store = CheckpointStore(run)
            let losses = stepLosses run
            let uninterrupted = File.ReadAllBytes(Path.Combine(store.Resolve "8", RunFolder.WeightsFile))
            let positions = File.ReadAllText(Path.Combine(store.Resolve "4", RunFolder.PositionsFile))
            // 4 steps × 4 = 16 of each rank's 18 records: the buffer is draining; the resumed steps cross into epoch 1.
            Expect.equal (Text.RegularExpressions.Regex.Matches(positions, "\"epoch\":0,\"emitted\":16").Count) 2
                $"one position per rank: {positions}"
            Expect.equal (Text.RegularExpressions.Regex.Matches(positions, "\"source\":\"wds 3 shards").Count) 2
                "each rank reads its own 3 shards"
            for s in [ 6; 8 ] do Directory.Delete(store.Resolve(string s), true)
            File.WriteAllText(Path.Combine(store.Root, "latest"), CheckpointStore.NameOf 4 + "\n")
            let resumed = MpiJob.runProgram 2 [ "train"; "--out"; run; "--resume"; "latest"; "--distributed";
                                                "mpi" ] jobTimeout
            Expect.equal resumed.ExitCode 0 $"the resumed job succeeds:\n{resumed.Output}"
            Expect.stringContains resumed.Output "(step 4)" "it resumed at step 4"
            Expect.isFalse (resumed.Output.Contains "no data position") "from the saved positions"
            Expect.sequenceEqual (stepLosses run) losses "the same per-step losses, bit for bit"
            let final = File.ReadAllBytes(Path.Combine(store.Resolve "latest", RunFolder.WeightsFile))
            Expect.isTrue (final = uninterrupted) "the same final weights, bit for bit"
        }
        for rank, kind in [ 1, "nan-grad"; 0, "inf-grad" ] do
            yield test $"a {kind} on rank {rank} only: both ranks skip step 2 together and match one process that \
                      skips it (float64, 1e-10)" {
                let run, rank0, rank1 = poisonedJob rank 2 kind
                let dv, _ = Snapshot.maxDiff rank0 rank1
                Expect.equal dv 0.0 "both ranks hold the same weights: both skipped"
                let failure =
                    Some { Rank = 0; Step = 2; Kind = (if kind = "nan-grad" then NanGradient else InfGradient)
                           StampFile = "" }
                let reference = single failure
                let dv, _ = Snapshot.maxDiff rank0 reference
                Expect.isLessThanOrEqual dv 1e-10 "as one process with the global batch that skipped step 2"
                let dvClean, _ = Snapshot.maxDiff (single None) reference
                Expect.isGreaterThan dvClean 1e-6 "a run that takes step 2 ends elsewhere (so the check can fail)"
                let lines = MetricsLog.Read(RunFolder(run).Metrics) |> Seq.toList
                Expect.isTrue (lines[2].TryGetProperty "skipped" |> fst) "step 2 logged as skipped"
                Expect.equal (lines[3].GetProperty("nonfinite_skips").GetInt32()) 1 "and counted"
            }
    ]
