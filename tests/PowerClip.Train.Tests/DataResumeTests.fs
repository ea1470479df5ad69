/// Resumable data streams: a saved DataPosition continues every source exactly, without decoding what precedes it.
module PowerClip.Train.Tests.DataResumeTests

open System
open System.IO
open System.Collections.Generic
open Expecto
open PowerClip.Data
open PowerClip.Train.Training
open PowerClip.Train.Tests.DataTestFiles

let private world = SyntheticWorld(WorldConfig(ImageSize = 32, PatchSize = 8, Seed = 11))

/// Records 0 … n-1 of a pretend source, read from a cursor; a buffered reference reads back as its offset.
let private shuffled (n: int) (size: int) (from: DataPosition) : (int * DataPosition) list =
    let input =
        seq { for i in int from.Cursor.Offset .. n - 1 ->
                SourceRecord<int>(RecordRef(0, int64 i), RecordRef(0, int64 (i + 1)), i) }
    let restored = from.Buffer |> Seq.map (fun r -> int r.Offset) |> Array.ofSeq :> IReadOnlyList<int>
    ResumableShuffle.Run(from, restored, input, size, 5, "test") |> Seq.map (fun p -> p.Item, p.After) |> List.ofSeq

/// Every position of an epoch, resumed, must give exactly the rest of the epoch.
let private expectTails (what: string) (full: (string * DataPosition) list) (resume: DataPosition -> string list) =
    for k in 0 .. full.Length - 1 do
        let tail = full |> List.skip (k + 1) |> List.map fst
        Expect.equal (resume (snd full[k])) tail $"{what}: resumed after item {k}"

let private keysFrom (source: IResumableSource) (from: DataPosition) =
    source.ReadFrom from |> Seq.map (fun p -> p.Item.Key) |> List.ofSeq

let private epoch (source: IResumableSource) (e: int) =
    source.ReadFrom(DataPosition.Start e) |> Seq.map (fun p -> p.Item.Key, p.After) |> List.ofSeq

let private writeShards (dir: string) (n: int) (perShard: int) =
    use w = new ShardWriter(dir, "train", perShard)
    for s in world.Samples(WorldSplit.Train, int64 n) do w.Write(s.ToRaw())
    w.Complete()
    w.Pattern, List.ofSeq w.Paths

[<Tests>]
let tests =
    testList "data.resume" [
        test "the resumable shuffle, restarted after any item (buffer read back by reference), continues exactly" {
            for n, size in [ 23, 0; 23, 1; 23, 5; 23, 10; 7, 10 ] do
                let full = shuffled n size (DataPosition.Start 2)
                Expect.equal (full |> List.map fst |> List.sort) [ 0 .. n - 1 ] $"n={n} size={size}: every record once"
                if size > 1 && n > size then Expect.notEqual (List.map fst full) [ 0 .. n - 1 ] "actually shuffled"
                for k in 0 .. n - 1 do
                    let after = snd full[k]
                    Expect.equal after.Emitted (int64 (k + 1)) "the position counts what was emitted"
                    Expect.equal (shuffled n size after |> List.map fst) (full |> List.skip (k + 1) |> List.map fst)
                        $"n={n} size={size} after {k}"
            Expect.notEqual (shuffled 23 5 (DataPosition.Start 3) |> List.map fst)
                (shuffled 23 5 (DataPosition.Start 2) |> List.map fst) "another epoch, another order"
        }
        test "a position survives its JSON form; malformed JSON names the field" {
            let positions = shuffled 23 5 (DataPosition.Start 1)
            let p = snd positions[9]
            let back = DataPosition.FromJson(Text.Json.Nodes.JsonNode.Parse(p.ToJson().ToJsonString()))
            Expect.equal (back.ToJson().ToJsonString()) (p.ToJson().ToJsonString()) "round trip"
            Expect.equal back.Buffer.Count 5 "the buffer travels"
            let e =
                Expect.throwsC (fun () ->
                    let json = Text.Json.Nodes.JsonNode.Parse """{"epoch": 1, "cursor": [0, 0], "buffer": []}"""
                    DataPosition.FromJson(json) |> ignore) id
            Expect.stringContains e.Message "emitted" "names the missing field"
        }
        test "tar records know their byte offsets: reading a shard from any record's offset gives the rest of it" {
            use dir = new TempDir()
            use w = new ShardWriter(dir.Path, "odd", 100)
            let bytes (s: string) = Text.Encoding.UTF8.GetBytes s
            let png = ImageLoader.EncodePng(gradient 8 8)
            w.WriteFiles("a", [ struct ("png", png); struct ("txt", bytes "first") ])
            // a long-name header
            w.WriteFiles(String.replicate 150 "k", [ struct ("png", png); struct ("txt", bytes "a GNU long name") ])
            w.WriteFiles("noext", [ struct ("", bytes "an entry without extension is skipped") ])
            // data padded to a block
            w.WriteFiles("c", [ struct ("txt", Array.create 513 (byte 'x')); struct ("png", png) ])
            // skipped unread
            w.WriteFiles("big", [ struct ("txt", bytes "over the cap"); struct ("png", Array.create 3000 0uy) ])
            w.WriteFiles("d", [ struct ("png", png); struct ("txt", bytes "last") ])
            w.Complete()
            let path = w.Paths[0]
            let read (offset: int64) = WebDataset.ReadShard(path, DataProblems(),
                                                            maxEntryBytes = 2000L, offset = offset) |> List.ofSeq
            let all = read 0L
            Expect.equal (all |> List.map (fun r -> r.Key.Length)) [ 1; 150; 1; 1 ]
                "four records (no extension, oversized: skipped)"
            for i, r in List.indexed all do
                Expect.equal (r.Offset % 512L) 0L "on a tar block"
                let again = read r.Offset
                Expect.equal (again |> List.map (fun x -> x.Key, x.Offset, x.End))
                    (all |> List.skip i |> List.map (fun x -> x.Key, x.Offset, x.End)) $"from record {i}"
                Expect.equal (again.Head.Files["txt"]) r.Files["txt"] "same bytes"
                let next = read r.End
                Expect.equal (next |> List.map (fun x -> x.Key)) (all |> List.skip (i + 1) |> List.map (fun x -> x.Key))
                    $"from record {i}'s end"
        }
        test "WebDataset shards: every position of an epoch resumes to exactly the rest of it, across shards \
            and epochs" {
            use dir = new TempDir()
            let pattern, _ = writeShards dir.Path 30 8
            let source = WebDatasetSource(pattern, StreamOptions(ShuffleBuffer = 10, Seed = 3, Parallelism = 2),
                                          DataProblems())
            for e in [ 0; 1 ] do
                let full = epoch source e
                Expect.equal full.Length 30 "all samples"
                expectTails $"epoch {e}" full (keysFrom source)
            Expect.notEqual (epoch source 1 |> List.map fst) (epoch source 0 |> List.map fst) "a new order per epoch"
        }
        test "resuming WebDataset shards decodes nothing before the position (those images are destroyed first)" {
            use dir = new TempDir()
            let pattern, paths = writeShards dir.Path 30 8
            let options = StreamOptions(ShuffleBuffer = 10, Seed = 3, Parallelism = 2)
            let full = epoch (WebDatasetSource(pattern, options, DataProblems())) 0
            let k = 17 // buffer full, third shard: between fill and drain
            let located =
                dict [ for p in paths do for r in WebDataset.ReadShard(p, DataProblems()) -> r.Key, (p, r.Offset) ]
            for key, _ in List.take (k + 1) full do
                let path, offset = located[key]
                use f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite)
                f.Position <- offset + 512L // the record's first entry is key.png after one 512-byte header
                let signature = Array.zeroCreate<byte> 4
                f.ReadExactly(signature, 0, 4)
                Expect.equal signature [| 0x89uy; byte 'P'; byte 'N'; byte 'G' |]
                    $"{key}: the PNG starts after the header"
                f.Position <- offset + 512L
                f.Write(Array.zeroCreate<byte> 8, 0, 8)
            let problems = DataProblems()
            Expect.equal (keysFrom (WebDatasetSource(pattern, options, problems)) (snd full[k]))
                (full |> List.skip (k + 1) |> List.map fst) "the same rest"
            Expect.equal problems.Total 0 $"no destroyed image was decoded: {problems.Summary()}"
            let fromStart = DataProblems()
            epoch (WebDatasetSource(pattern, options, fromStart)) 0 |> ignore
            Expect.equal fromStart.Total (k + 1) "reading from the start does meet them (so the check can fail)"
        }
        test "resuming on other shards is an error naming both" {
            use dir = new TempDir()
            let pattern, _ = writeShards dir.Path 12 4
            let full = epoch (WebDatasetSource(pattern, StreamOptions(ShuffleBuffer = 4), DataProblems())) 0
            let other = WebDatasetSource(pattern.Replace("00002", "00001"), StreamOptions(ShuffleBuffer = 4),
                                         DataProblems())
            let e = Expect.throwsC (fun () -> keysFrom other (snd full[5]) |> ignore) id
            Expect.stringContains e.Message "wds 3 shards" "names the saved data"
            Expect.stringContains e.Message "wds 2 shards" "and this run's"
        }
        test "CSV tables: positions resume to the rest of the epoch; two ranks split the rows before loading images" {
            use dir = new TempDir()
            let rows =
                [ for i in 0 .. 13 ->
                    let name = $"img{i}.png"
                    if i <> 5 then File.WriteAllBytes(dir.File name, ImageLoader.EncodePng(gradient (8 + i) 8))
                    if i = 9 then $"{name}," else $"{name},caption {i}" ] // row 5: no image file, row 9: no caption
            File.WriteAllLines(dir.File "t.csv", "filepath,title" :: rows)
            let options = StreamOptions(ShuffleBuffer = 4, Seed = 2, Parallelism = 2)
            let source = CsvSource(dir.File "t.csv", options, DataProblems())
            let full = epoch source 0
            Expect.equal full.Length 12 "14 rows, 2 unusable"
            expectTails "csv" full (keysFrom source)
            let rank r = CsvSource(dir.File "t.csv", options, DataProblems(), stride = RankStride(r, 2))
            let parts = [ epoch (rank 0) 0; epoch (rank 1) 0 ]
            Expect.equal (parts |> List.concat |> List.map fst |> List.sort) (full |> List.map fst |> List.sort)
                "the ranks' parts make the whole"
            Expect.isEmpty (Set.intersect (set (List.map fst parts[0])) (set (List.map fst parts[1]))) "disjoint"
            for r in 0 .. 1 do expectTails $"csv rank {r}" parts[r] (keysFrom (rank r))
        }
        test "the streamed world: positions index the epoch's order; ranks take every other sample" {
            let options = StreamOptions(ShuffleBuffer = 2, Seed = 4, Parallelism = 2)
            let source r = WorldSource(world, WorldSplit.Train, 12, options, RankStride(r, 2))
            for r in 0 .. 1 do
                let full = epoch (source r) 1
                Expect.equal full.Length 6 "half each"
                expectTails $"world rank {r}" full (keysFrom (source r))
        }
        test "a sample feed sought to a saved position continues as the original, across the epoch boundary" {
            let samples =
                [| for i in 0 .. 9 -> DataSample($"s{i}", [||], 0, null, Unchecked.defaultof<PreparedCaption>) |]
            let keys (feed: SampleFeed) n = List.init n (fun _ -> feed.Next().Key)
            use original = SampleFeed.InMemory(samples, 3)
            let head = keys original 7
            let saved = original.Position
            let rest = keys original 13
            Expect.equal (List.sort (head @ List.take 3 rest)) (List.init 10 (sprintf "s%d") |> List.sort)
                "epoch 0 is a permutation"
            use resumed = SampleFeed.InMemory(samples, 3)
            resumed.Seek(DataPosition.FromJson(saved.ToJson()))
            Expect.equal (keys resumed 13) rest "the same continuation"
            use replayed = SampleFeed.InMemory(samples, 3)
            replayed.Skip 7L
            Expect.equal (keys replayed 13) rest "as replaying the first 7 would give"
            use otherRanks = SampleFeed.InMemory(samples, 3, 0, 2, 2)
            let e = Expect.throwsC (fun () -> otherRanks.Seek saved; otherRanks.Next() |> ignore) id
            Expect.stringContains e.Message "rank 0 of 2" "another rank split is refused, named"
        }
    ]
