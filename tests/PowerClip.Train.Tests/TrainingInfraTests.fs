module PowerClip.Train.Tests.TrainingInfraTests

open System
open System.IO
open System.Collections.Generic
open Expecto
open PowerClip.Train.Training

let private tempDir () =
    let d = Path.Combine(Path.GetTempPath(), "powerclip-tests", Guid.NewGuid().ToString("N"))
    Directory.CreateDirectory d |> ignore
    d

let private record (step: int) : IReadOnlyDictionary<string, obj> =
    Dictionary<string, obj>(dict [ "step", (step :> obj); "loss", ((1.0 / float (step + 1)) :> obj) ])

[<Tests>]
let tests =
    testList "training infrastructure" [
        testList "AtomicFile" [
            test "a failed write leaves the previous content and no temporary file" {
                let dir = tempDir ()
                let path = Path.Combine(dir, "state.json")
                AtomicFile.WriteAllText(path, "old")
                Expect.throws (fun () -> AtomicFile.Write(path, fun s -> s.WriteByte 1uy; failwith "disk full"))
                    "the writer's failure propagates"
                Expect.equal (File.ReadAllText path) "old" "old content intact"
                Expect.sequenceEqual (Directory.GetFiles dir |> Array.map Path.GetFileName) [| "state.json" |]
                    "no temporary file left"
            }
            test "a successful write replaces the content" {
                let path = Path.Combine(tempDir (), "a.txt")
                AtomicFile.WriteAllText(path, "one")
                AtomicFile.WriteAllText(path, "two")
                Expect.equal (File.ReadAllText path) "two" "new content"
            }
        ]
        testList "LrSchedule" [
            test "linear warm-up reaches the base lr, cosine decays to the minimum" {
                let s = LrSchedule(1e-3, 10, 110, 1e-5)
                Expect.floatClose Accuracy.veryHigh (s.At 0) 1e-4 "first warm-up step"
                Expect.floatClose Accuracy.veryHigh (s.At 9) 1e-3 "end of warm-up"
                Expect.floatClose Accuracy.veryHigh (s.At 60) ((1e-3 + 1e-5) / 2.0) "half-way through the decay"
                Expect.floatClose Accuracy.veryHigh (s.At 110) 1e-5 "the end"
                for step in 10 .. 109 do
                    Expect.isLessThanOrEqual (s.At(step + 1)) (s.At step) $"non-increasing after warm-up at {step}"
            }
            test "impossible schedules are rejected with the offending value" {
                for bad, mention in [ LrSchedule(-1.0, 0, 10), "-1"; LrSchedule(1e-3, -2, 10), "-2";
                                      LrSchedule(1e-3, 0, 0), "total" ] do
                    try bad.Validate(); failtest "accepted"
                    with :? ArgumentException as e -> Expect.stringContains e.Message mention "names it"
            }
        ]
        testList "MetricsLog" [
            test "resuming drops the lines logged after the checkpoint and a torn last line" {
                let path = Path.Combine(tempDir (), "metrics.jsonl")
                do
                    use log = MetricsLog.Open(path, 0)
                    for s in 0 .. 9 do log.Write(record s)
                File.AppendAllText(path, "{\"step\": 10, \"lo")
                do
                    use log = MetricsLog.Open(path, 6)
                    log.Write(record 6)
                let steps = MetricsLog.Read path |> Seq.map (fun e -> e.GetProperty("step").GetInt32()) |> Seq.toList
                Expect.equal steps [ 0 .. 6 ] "steps 0..5 kept, 6 rewritten once, the rest gone"
            }
        ]
        testList "CheckpointStore" [
            test "save, resolve latest and by step, prune to keep" {
                let run = tempDir ()
                let store = CheckpointStore(run, 2)
                for step in [ 10; 20; 30 ] do
                    store.Save(step, fun dir -> File.WriteAllText(Path.Combine(dir, "w.txt"), string step)) |> ignore
                Expect.equal (store.List() |> Seq.map (fun struct (s, _) -> s) |> Seq.toList) [ 20; 30 ]
                    "keeps the newest two"
                Expect.equal (File.ReadAllText(Path.Combine(store.Resolve "latest", "w.txt"))) "30" "latest"
                Expect.equal (File.ReadAllText(Path.Combine(store.Resolve "20", "w.txt"))) "20" "by step"
                Expect.throwsT<FileNotFoundException> (fun () -> store.Resolve "10" |> ignore) "pruned step is gone"
            }
            test "a checkpoint that fails half-way leaves the previous one as latest and no debris" {
                let run = tempDir ()
                let store = CheckpointStore(run, 3)
                store.Save(1, fun dir -> File.WriteAllText(Path.Combine(dir, "w.txt"), "1")) |> ignore
                Expect.throws (fun () ->
                    store.Save(2, fun dir ->
                        File.WriteAllText(Path.Combine(dir, "w.txt"), "partial")
                        raise (IOException "killed")) |> ignore) "failure propagates"
                Expect.equal (File.ReadAllText(Path.Combine(store.Resolve "latest", "w.txt"))) "1"
                    "previous checkpoint still latest"
                Expect.hasLength (Directory.GetDirectories store.Root) 1 "no temporary directory left"
            }
            test "the manifest, written last, lists every other file with its size and SHA-256" {
                let run = tempDir ()
                let store = CheckpointStore(run)
                let write (d: string) =
                    File.WriteAllText(Path.Combine(d, "a.bin"), "alpha")
                    File.WriteAllBytes(Path.Combine(d, "b.bin"), [| 0uy; 1uy |])
                let dir = store.Save(7, fun d -> write d)
                use manifest = Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, RunFolder.ManifestFile)))
                Expect.equal (manifest.RootElement.GetProperty("step").GetInt32()) 7 "step"
                let files =
                    [ for f in manifest.RootElement.GetProperty("files").EnumerateArray() ->
                        (f.GetProperty("name").GetString(), f.GetProperty("bytes").GetInt64(),
                         f.GetProperty("sha256").GetString()) ]
                let sha (name: string) =
                    let bytes = File.ReadAllBytes(Path.Combine(dir, name))
                    Convert.ToHexStringLower(Security.Cryptography.SHA256.HashData(bytes))
                Expect.equal (files |> List.map (fun (n, b, h) -> nonNull n, b, nonNull h))
                    [ "a.bin", 5L, sha "a.bin"; "b.bin", 2L, sha "b.bin" ] "names, sizes, hashes (sha256sum's)"
                Expect.isNull (CheckpointStore.Problem dir) "intact"
                File.AppendAllText(Path.Combine(dir, "a.bin"), "!")
                Expect.equal (CheckpointStore.Problem dir) "a.bin has 6 bytes, the manifest says 5"
                    "a grown file is named"
            }
            test "pruning never removes the newest intact checkpoint, even when damaged or newer ones are about" {
                let run = tempDir ()
                let store = CheckpointStore(run, 1)
                let write (step: int) =
                    store.Save(step, fun d -> File.WriteAllText(Path.Combine(d, "w.txt"), string step)) |> ignore
                let steps () = store.List() |> Seq.map (fun struct (s, _) -> s) |> Seq.toList
                write 10
                write 20
                Expect.equal (steps ()) [ 20 ] "keep 1"
                // A resumed run (from 20) finds a damaged step-30 from an earlier life and writes 25: 25 is kept, 30
                // goes.
                let damaged = Path.Combine(store.Root, CheckpointStore.NameOf 30)
                Directory.CreateDirectory damaged |> ignore
                File.WriteAllText(Path.Combine(damaged, "w.txt"), "30")
                write 25
                Expect.equal (steps ()) [ 25 ] "the damaged newer one is pruned, the newest intact kept"
                // An intact newer one (the user resumed from an older step on purpose) is kept beside the new one.
                write 40
                write 35
                Expect.equal (steps ()) [ 35; 40 ] "both the one just written and the newest intact one stay"
            }
            test "stale temporary folders and files are removed at start; checkpoints stay" {
                let run = tempDir ()
                let store = CheckpointStore(run)
                store.Save(3, fun d -> File.WriteAllText(Path.Combine(d, "w.txt"), "3")) |> ignore
                let half = Path.Combine(store.Root, ".step-0000006.0123abcd.tmp")
                Directory.CreateDirectory half |> ignore
                File.WriteAllText(Path.Combine(half, "model.safetensors"), "half")
                Directory.CreateDirectory(Path.Combine(store.Root, ".step-0000001.4567.deleting.tmp")) |> ignore
                File.WriteAllText(Path.Combine(store.Root, ".latest.1234.89ab.tmp"), "step-0000006")
                Expect.equal (store.RemoveStaleTemporaries()) 3 "three leftovers"
                Expect.equal (Directory.GetFileSystemEntries store.Root |> Array.map Path.GetFileName |> Array.sort)
                    [| "latest"; "step-0000003" |] "only the checkpoint and its pointer"
                use _ = new Trainer({ new ITrainable with
                                        member _.Module = TorchSharp.torch.nn.Linear(1L, 1L)
                                        member _.MicroBatchSize = 1
                                        member _.Loss(_, _, _) = failwith "not run"
                                        member _.AfterOptimizerStep() = () }, TrainerOptions(), run)
                Directory.CreateDirectory half |> ignore
                use _ = new Trainer({ new ITrainable with
                                        member _.Module = TorchSharp.torch.nn.Linear(1L, 1L)
                                        member _.MicroBatchSize = 1
                                        member _.Loss(_, _, _) = failwith "not run"
                                        member _.AfterOptimizerStep() = () }, TrainerOptions(), run)
                Expect.isFalse (Directory.Exists half) "a trainer removes them when it starts"
            }
            test "fsync of files and directories works here, and a missing path is an error naming it" {
                let dir = tempDir ()
                let file = Path.Combine(dir, "f.txt")
                File.WriteAllText(file, "x")
                Durable.SyncFile file
                Durable.SyncDirectory dir
                let e = Expect.throwsC (fun () -> Durable.SyncDirectory(Path.Combine(dir, "missing"))) id
                Expect.stringContains e.Message "missing" "names the path"
            }
            test "resuming from an empty run names the folder" {
                let run = tempDir ()
                let e =
                    try CheckpointStore(run).Resolve "latest" |> ignore; ""
                    with :? FileNotFoundException as e -> e.Message
                Expect.stringContains e run "names the run folder"
            }
        ]
    ]
