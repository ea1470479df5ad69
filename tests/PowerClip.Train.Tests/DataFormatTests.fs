module PowerClip.Train.Tests.DataFormatTests

open System
open System.IO
open System.Text
open Expecto
open PowerClip.Data
open PowerClip.Train.Tests.DataTestFiles

let private world = SyntheticWorld(WorldConfig(ImageSize = 32, PatchSize = 8, Seed = 11))

let private noShuffle = StreamOptions(ShuffleBuffer = 0, Parallelism = 2)

/// Writes n world samples into shards of perShard; returns the writer's brace pattern.
let private writeWorld (dir: string) (n: int) (perShard: int) =
    use w = new ShardWriter(dir, "train", perShard)
    for s in world.Samples(WorldSplit.Train, int64 n) do w.Write(s.ToRaw())
    w.Complete()
    w.Pattern, List.ofSeq w.Paths

[<Tests>]
let braces =
    testList "data.braces" [
        test "ranges keep zero padding, lists and nesting expand, :: joins patterns" {
            Expect.sequenceEqual (BraceExpansion.Expand "s-{000..002}.tar") [ "s-000.tar"; "s-001.tar"; "s-002.tar" ]
                "range"
            Expect.sequenceEqual (BraceExpansion.Expand "{a,b}-{1..2}.tar")
                [ "a-1.tar"; "a-2.tar"; "b-1.tar"; "b-2.tar" ] "product"
            Expect.sequenceEqual (BraceExpansion.Expand "{x,y{0..1}}.tar") [ "x.tar"; "y0.tar"; "y1.tar" ] "nested"
            Expect.sequenceEqual (BraceExpansion.Expand "a.tar::b-{8..10}.tar")
                [ "a.tar"; "b-8.tar"; "b-9.tar"; "b-10.tar" ] "joined"
            Expect.sequenceEqual (BraceExpansion.Expand "plain.tar") [ "plain.tar" ] "no braces"
        }
        test "bad patterns are one clear error" {
            for p in [ "s-{0..}.tar"; "s-{3..1}.tar"; "s-{0..2.tar"; "s-}.tar"; "s-{abc}.tar" ] do
                Expect.throwsT<FormatException> (fun () -> BraceExpansion.Expand p |> ignore) p
        }
    ]

[<Tests>]
let shards =
    testList "data.webdataset" [
        test "shard round trip: images, captions, regions and trees come back exactly" {
            use dir = new TempDir()
            let pattern, paths = writeWorld dir.Path 20 7
            Expect.equal paths.Length 3 "20 samples at 7 per shard"
            Expect.stringContains pattern "{00000..00002}" "brace pattern"
            let problems = DataProblems()
            let back = WebDatasetSource(pattern, noShuffle, problems).Read() |> List.ofSeq
            Expect.equal problems.Total 0 (problems.Summary())
            let original = world.Samples(WorldSplit.Train, 20L) |> List.ofSeq
            Expect.equal (back |> List.map (fun s -> s.Key) |> List.sort)
                (original |> List.map (fun s -> s.Key) |> List.sort) "same keys"
            for s in original do
                let b = back |> List.find (fun x -> x.Key = s.Key)
                Expect.equal b.Caption s.Caption.Text "caption"
                Expect.equal b.Image.Pixels s.Image.Pixels "PNG is lossless"
                Expect.equal b.Tree (s.Caption.Tree.ToBracketString()) "tree"
                let r = b.Regions |> Option.ofObj |> Option.get
                Expect.equal r.GridSize s.Masks.GridSize "grid"
                Expect.equal (r.Patches |> Array.map List.ofArray) (s.Masks.Patches |> Array.map List.ofArray) "regions"
        }
        test "writing the same samples twice gives byte-identical shards" {
            use a = new TempDir()
            use b = new TempDir()
            let _, pa = writeWorld a.Path 6 4
            let _, pb = writeWorld b.Path 6 4
            for x, y in List.zip pa pb do
                Expect.equal (File.ReadAllBytes x) (File.ReadAllBytes y) (nonNull (Path.GetFileName x))
        }
        test "the shuffle buffer is deterministic by seed and epoch and loses nothing" {
            use dir = new TempDir()
            let pattern, _ = writeWorld dir.Path 30 8
            let keys seed epoch =
                let options = StreamOptions(ShuffleBuffer = 10, Seed = seed, Parallelism = 2)
                WebDatasetSource(pattern, options, DataProblems()).Read(epoch)
                |> Seq.map (fun s -> s.Key) |> List.ofSeq
            let a = keys 1 0
            Expect.equal (keys 1 0) a "same seed, same order"
            Expect.notEqual (keys 2 0) a "another seed, another order"
            Expect.notEqual (keys 1 1) a "another epoch, another order"
            Expect.equal (List.sort a) (List.sort (keys 2 0)) "same samples"
            Expect.equal a.Length 30 "all samples"
            Expect.notEqual a (List.sort a) "actually shuffled"
        }
        test "hostile records and a truncated shard are skipped with counts, never thrown" {
            use dir = new TempDir()
            let good = world.Sample(WorldSplit.Train, 0L).ToRaw()
            use w = new ShardWriter(dir.Path, "bad", 100)
            w.Write(good)
            let bytes (s: string) = Encoding.UTF8.GetBytes s
            for i, (name, data, _) in List.indexed (hostileImages ()) do
                let key = $"h{i}"
                w.WriteFiles(key, [ struct ((nonNull (Path.GetExtension name)).TrimStart('.'), data);
                                    struct ("txt", bytes "a caption") ])
            w.WriteFiles("nocaption", [ struct ("png", ImageLoader.EncodePng(gradient 8 8)) ])
            w.WriteFiles("noimage", [ struct ("txt", bytes "a caption without an image") ])
            w.WriteFiles("badjson", [ struct ("png", ImageLoader.EncodePng(gradient 8 8));
                                      struct ("json", bytes """{"caption": 5}""") ])
            w.WriteFiles("badregions", [ struct ("png", ImageLoader.EncodePng(gradient 8 8)); struct ("txt", bytes "x");
                                         struct ("regions.json", bytes """{"grid":2,"patches":[[7]]}""") ])
            w.Complete()
            // A second shard cut in the middle of an entry.
            let full = File.ReadAllBytes(w.Paths[0])
            let cut = Path.Combine(dir.Path, "bad-00001.tar")
            File.WriteAllBytes(cut, full[.. full.Length / 2 + 100])
            let problems = DataProblems()
            let back = WebDatasetSource(w.Paths[0], noShuffle, problems).Read() |> List.ofSeq
            let hostile = hostileImages ()
            Expect.equal back.Length (1 + (hostile |> List.filter (fun (_, _, r) -> r.IsNone) |> List.length))
                "the good samples"
            let expected =
                [ for _, _, r in hostile do if r.IsSome then r.Value ]
                @ [ "missing caption"; "missing image"; "bad metadata"; "bad metadata" ]
                |> List.countBy id |> Map.ofList
            Expect.equal (problems.Counts |> Seq.map (fun kv -> kv.Key, kv.Value) |> Map.ofSeq) expected
                (problems.Summary())
            let truncated = DataProblems()
            let part = WebDatasetSource(cut, noShuffle, truncated).Read() |> List.ofSeq
            Expect.equal (truncated.Count "corrupt shard") 1 "the damaged shard is reported once"
            Expect.isGreaterThan part.Length 0 "the samples before the damage survive"
            Expect.equal (part |> List.map (fun s -> s.Key))
                (back |> List.map (fun s -> s.Key) |> List.truncate part.Length) "in order, a prefix"
            let missing = DataProblems()
            Expect.isEmpty (WebDatasetSource(dir.File "missing.tar", noShuffle, missing).Read() |> List.ofSeq)
                "nothing from a missing shard"
            Expect.equal (missing.Count "unreadable shard") 1 "reported"
        }
        test "ordered parallel map keeps order and drops nulls; prefetch passes items and errors through" {
            let out =
                [ 1..200 ] |> fun xs -> DataStream.ParallelMap(xs, (fun x -> if x % 3 = 0 then null else string x), 4)
                |> List.ofSeq
            Expect.equal out [ for x in 1..200 do if x % 3 <> 0 then string x ] "ordered, nulls dropped"
            Expect.equal (DataStream.Prefetch(seq { 1..50 }, 4) |> List.ofSeq) [ 1..50 ] "prefetch keeps order"
            let failing = seq { yield 1; failwith "boom" }
            Expect.throws (fun () -> DataStream.Prefetch(failing, 2) |> List.ofSeq |> ignore)
                "the source's error reaches the consumer"
        }
    ]

[<Tests>]
let tables =
    testList "data.csv" [
        test "CSV and TSV with quoting; rows with missing images or captions are skipped with counts" {
            use dir = new TempDir()
            File.WriteAllBytes(dir.File "a.png", ImageLoader.EncodePng(gradient 8 8))
            File.WriteAllBytes(dir.File "b.jpg", ImageLoader.EncodeJpeg(gradient 16 8))
            File.WriteAllBytes(dir.File "zero.png", [||])
            let csv = "id,filepath,title\n1,a.png,\"a dog, a cat and a \"\"bird\"\"\"\n2,b.jpg,\"two lines\nof \
                          caption\"\n3,missing.png,ghost\n4,zero.png,nothing\n5,,no image\n\n"
            File.WriteAllText(dir.File "t.csv", csv)
            let problems = DataProblems()
            let rows = CsvSource(dir.File "t.csv", noShuffle, problems).Read() |> List.ofSeq
            Expect.equal (rows |> List.map (fun r -> r.Caption))
                [ "a dog, a cat and a \"bird\""; "two lines\nof caption" ] "quoted fields"
            Expect.equal (rows[1].Image.Width, rows[1].Image.Height) (16, 8) "the JPEG decoded"
            Expect.equal (problems.Count "unreadable file") 1 "missing file"
            Expect.equal (problems.Count "empty file") 1 "zero bytes"
            Expect.equal (problems.Count "bad row") 1 "empty path"
            File.WriteAllText(dir.File "t.tsv", "filepath\ttitle\na.png\ta red, round thing\n")
            let tsv = CsvSource(dir.File "t.tsv", noShuffle, DataProblems()).Read() |> List.ofSeq
            Expect.equal (tsv |> List.map (fun r -> r.Caption)) [ "a red, round thing" ] "tab-separated"
            File.WriteAllText(dir.File "h.csv", "path,caption\na.png,x\n")
            Expect.throwsT<FormatException>
                (fun () -> CsvSource(dir.File "h.csv", noShuffle, DataProblems()).Read() |> List.ofSeq |> ignore)
                "missing columns named"
        }
    ]
