module PowerClip.Train.Tests.DataMaskImportTests

open System
open System.IO
open System.Text
open System.Text.Json.Nodes
open Expecto
open PowerClip.Data
open PowerClip.Train.Training
open PowerClip.Train.Tests.CliRunner
open PowerClip.Train.Tests.DataTestFiles
open PowerClip.Train.Tests.DataMaskFiles

/// 4x4-pixel box k of the 8x6 boxes tiling a 32x24 mask.
let private tile k = box 24 32 (k % 8 * 4, k % 8 * 4 + 3) (k / 8 * 4, k / 8 * 4 + 3)

/// Six samples in two shards (64x48 images) and a SAM output folder, amg.py's layout, covering every case:
/// s0 three masks; s1 no mask file; s2 40 masks SAM computed at half size (32x24); s3 masks of another aspect
/// ratio (48x48: another crop); s4 a file that is not JSON; s5 SA-1B's {"annotations": …} with uncompressed RLE.
let private fixture (dir: string) =
    let shards, sam = Path.Combine(dir, "in"), Path.Combine(dir, "sam")
    Directory.CreateDirectory sam |> ignore
    do
        use w = new ShardWriter(shards, "in", 3)
        for i in 0 .. 5 do w.Write(RawSample($"s{i}", $"a red square number {i}", gradient 64 48))
    writeSamFile sam "s0" [ samRecord 48 64 (box 48 64 (8, 23) (8, 23)) 0.90
                            samRecord 48 64 (box 48 64 (32, 63) (0, 47)) 0.95
                            samRecord 48 64 (box 48 64 (0, 63) (40, 47)) 0.80 ]
    writeSamFile sam "s2" [ for k in 0 .. 39 -> samRecord 24 32 (tile k) (0.5 + 0.01 * float k) ]
    writeSamFile sam "s3" [ samRecord 48 48 (box 48 48 (0, 20) (0, 20)) 0.9 ]
    File.WriteAllText(Path.Combine(sam, "s4.json"), "not json {")
    let counts = CocoRle.Encode(ReadOnlySpan(box 48 64 (0, 31) (0, 47)), 48, 64)
    let sa1b = JsonNode.Parse $"""{{"image": {{"image_id": 5, "width": 64, "height": 48, "file_name": "s5.jpg"}},
        "annotations": [{{"id": 1, "segmentation": {{"size": [48, 64], "counts": [{String.Join(", ", counts)}]}},
        "area": 1536, "bbox": [0, 0, 32, 48], "predicted_iou": 0.93, "point_coords": [[10.0, 10.0]],
        "stability_score": 0.96, "crop_box": [0, 0, 64, 48]}}]}}"""
    File.WriteAllText(Path.Combine(sam, "s5.json"), (nonNull sa1b).ToJsonString())
    Path.Combine(shards, "in-{00000..00001}.tar"), sam

let private records (pattern: string) =
    BraceExpansion.Expand pattern |> Seq.collect (fun s -> WebDataset.ReadShard(s, DataProblems())) |> List.ofSeq

let private unshuffled = StreamOptions(ShuffleBuffer = 0)

let private raster (m: RleMask) =
    let r = Array.zeroCreate<byte> (m.Height * m.Width)
    CocoRle.Fill(m.Counts, m.Height, m.Width, Span r)
    r

let private numbers (node: JsonNode | null) (field: string) =
    let value (m: JsonNode | null) = (nonNull (nonNull m).[field]).GetValue<float>()
    (nonNull node).AsArray() |> Seq.map value |> List.ofSeq

[<Tests>]
let importer =
    testList "data.masks.import" [
        test "SAM output becomes key.regions.json of a copy of the shards; every other file is copied byte for byte" {
            use dir = new TempDir()
            let pattern, sam = fixture dir.Path
            let out = Path.Combine(dir.Path, "out")
            let problems = DataProblems()
            let report = SamMaskImporter(sam, MaskImportOptions(), problems).Import(pattern, out)
            let counts = report.Samples, report.WithMasks, report.NoMaskFile, report.BadMaskFile, report.DoNotFit
            Expect.equal counts (6, 3, 1, 1, 1) (report.Summary())
            Expect.equal (report.MasksFound, report.MasksKept) (45L, 36L) "3 + 40 + 1 + 1 found; 3 + 32 + 1 kept"
            Expect.equal (problems.Count "bad mask file", problems.Count "masks do not fit") (1, 1) (problems.Summary())
            let names = Directory.GetFiles out |> Array.map Path.GetFileName |> Array.sort
            Expect.sequenceEqual names [ "in-00000.tar"; "in-00001.tar" ] "same shard names, no temporary left"
            let outPattern = Path.Combine(out, "in-{00000..00001}.tar")
            let before, after = records pattern, records outPattern
            let keys = List.map (fun (r: ShardRecord) -> r.Key)
            Expect.equal (keys after) (keys before) "same samples, same order"
            for b, a in List.zip before after do
                for KeyValue(ext, bytes) in b.Files do Expect.equal a.Files[ext] bytes $"{b.Key}.{ext} unchanged"
                let withMasks = b.Key = "s0" || b.Key = "s2" || b.Key = "s5"
                Expect.equal (a.Files.ContainsKey "regions.json") withMasks $"{a.Key}: regions.json iff usable masks"
            let back = WebDatasetSource(outPattern, unshuffled, DataProblems()).Read() |> List.ofSeq
            let masks key = (back |> List.find (fun s -> s.Key = key)).Masks |> nonNull
            let s0 = masks "s0"
            Expect.equal (s0.Height, s0.Width) (48, 64) "size [h, w] as SAM saw the image"
            let expected = [| box 48 64 (32, 63) (0, 47); box 48 64 (8, 23) (8, 23); box 48 64 (0, 63) (40, 47) |]
            Expect.equal (s0.Masks |> Array.map raster) expected "exact masks, best predicted_iou first"
            Expect.equal (masks "s2").Count 32 "the storage cap"
            let stored = JsonNode.Parse((after |> List.find (fun r -> r.Key = "s2")).Files["regions.json"]) |> nonNull
            let best = [ for k in 39 .. -1 .. 8 -> 0.5 + 0.01 * float k ]
            Expect.equal (numbers stored["masks"] "predicted_iou") best "the 32 best by predicted_iou, in that order"
            Expect.equal ((nonNull stored["found"]).GetValue<int>()) 40 "provenance: how many SAM found"
            Expect.equal (masks "s5").Count 1 "SA-1B layout with uncompressed counts"
        }
        test "imported masks reach the model's patch grid where the hand-computed geometry puts them" {
            use dir = new TempDir()
            let pattern, sam = fixture dir.Path
            let out = Path.Combine(dir.Path, "out")
            SamMaskImporter(sam, MaskImportOptions(), DataProblems()).Import(pattern, out) |> ignore
            let prep = SamplePreparer(ImageTransform(32, 8), CaptionTokenizer.Gpt2(), DataProblems())
            let source = WebDatasetSource(Path.Combine(out, "in-{00000..00001}.tar"), unshuffled, DataProblems())
            let samples = prep.Stream(source, 0, unshuffled) |> List.ofSeq
            let s0 = samples |> List.find (fun s -> s.Key = "s0")
            // 64x48 → 43x32, crop from column 5: output x shows source 7.44 + (x + ½)·1.488, y shows (y + ½)·1.5.
            // Columns 32..63 → output x ≥ 16; box (8..23, 8..23) → x 0..10, y 5..15; rows 40..47 → y 27..31.
            Expect.equal ((nonNull s0.Regions).Patches |> Array.map List.ofArray)
                [| [ 2; 3; 6; 7; 10; 11; 14; 15 ]; [ 0; 4; 5 ]; [ 12; 13; 14; 15 ] |] "three regions on the 4x4 grid"
            let withRegions = samples |> List.filter (fun s -> not (isNull s.Regions)) |> List.map (fun s -> s.Key)
            Expect.equal withRegions [ "s0"; "s2"; "s5" ] "only the samples that got masks"
        }
        test "the selection ranks by predicted_iou, then area; drops empty and too small masks" {
            let m (area: int) (iou: float) = SamMask(rle 10 10 (maskOf 10 10 (fun y x -> y * 10 + x < area)), iou, nan)
            let masks = [| m 5 0.9; m 50 0.9; m 0 0.99; m 20 0.95; m 1 nan |]
            let areas (picked: seq<SamMask>) = picked |> Seq.map (fun s -> s.Area) |> List.ofSeq
            Expect.equal (areas (SamMaskFile.Select(masks, 3, 0.0))) [ 20L; 50L; 5L ] "iou, then area; never empty"
            Expect.equal (areas (SamMaskFile.Select(masks, 0, 0.1))) [ 20L; 50L ] "area floor 10 %, no cap"
        }
    ]

let private trainArgs (run: string) (data: string) =
    [ "train"; "--out"; run; "--data"; data; "--model"; "tiny"; "--loss"; "powerclip"; "--steps"; "2"
      "--batch-size"; "6"; "--regions"; "4"; "--warmup"; "1"; "--checkpoint-every"; "2"; "--seed"; "1"
      "--device"; "cpu"; "--threads"; "1" ]

let private metric (run: string) (name: string) =
    MetricsLog.Read(Path.Combine(run, "metrics.jsonl"))
    |> Seq.map (fun e -> e.GetProperty(name).GetDouble()) |> List.ofSeq

[<Tests>]
let cli =
    testSequenced <| testList "cli.data.masks" [
        test "data masks, data check and a -S run: probe at start, fallback on request, given-mask share in metrics" {
            use dir = new TempDir()
            let pattern, sam = fixture dir.Path
            let out = Path.Combine(dir.Path, "out")
            let m = run [ "data"; "masks"; "--shards"; pattern; "--masks"; sam; "--out"; out ]
            Expect.equal m.ExitCode 0 m.Err
            Expect.stringContains m.Out "3 of 6 samples (50.0%) got masks (36 kept of 45 found)" "summary"
            let shards = Path.Combine(out, "in-{00000..00001}.tar")
            let c = run [ "data"; "check"; "--shards"; shards; "--image-size"; "32"; "--patch-size"; "8" ]
            Expect.equal c.ExitCode 0 c.Err
            Expect.stringContains c.Out "6 usable samples (3 with masks on the 4x4 patch grid: 50.0%" "the share"
            let strict = run (trainArgs (Path.Combine(dir.Path, "strict")) ("wds:" + shards))
            expectOneLineError strict 1 "3 of the first 6 samples (50.0%) carry masks"
            Expect.stringContains strict.Err "--region-fallback boxes" "says how to accept it"
            let fallback = Path.Combine(dir.Path, "fallback")
            let f = run (trainArgs fallback ("wds:" + shards) @ [ "--region-fallback"; "boxes" ])
            Expect.equal f.ExitCode 0 f.Err
            Expect.stringContains f.Out "partly PowerCLIP-R" "the run says what it is"
            // A batch of 6 is the whole 6-sample epoch: exactly s0, s2, s5 carry masks at every step.
            Expect.equal (metric fallback "given_mask_share") [ 0.5; 0.5 ] "given_mask_share per logged step"
            for share in metric fallback "given_region_share" do
                Expect.isTrue (share > 0.0 && share <= 0.5) $"given_region_share {share}: at most those 3 rows' regions"
            let boxes = Path.Combine(dir.Path, "boxes")
            let b = run (trainArgs boxes ("wds:" + shards) @ [ "--region-source"; "boxes" ])
            Expect.equal b.ExitCode 0 b.Err
            Expect.equal (metric boxes "given_mask_share") [ 0.0; 0.0 ] "-R: no given masks"
        }
        test "a -S run on a CSV table stops at start; the world needs no probe" {
            use dir = new TempDir()
            File.WriteAllBytes(dir.File "a.png", ImageLoader.EncodePng(gradient 8 8))
            File.WriteAllText(dir.File "t.csv", "filepath,title\na.png,a thing\n")
            let r = run (trainArgs (Path.Combine(dir.Path, "csv")) ("csv:" + dir.File "t.csv"))
            expectOneLineError r 1 "a CSV table carries no region masks"
            let tiny = PowerClip.Model.Presets.Load "tiny"
            Expect.isNull (RegionSourceCheck.Require(TrainConfig(), tiny, true)) "world: exact masks, nothing probed"
            let csv = TrainConfig(Data = "csv:x.csv")
            Expect.isNull (RegionSourceCheck.Require(csv, tiny, false)) "an objective without regions"
        }
    ]

[<Tests>]
let decoding =
    testList "data.masks.decode" [
        test "shipped RLE masks of another aspect ratio are dropped with a count; the sample is kept" {
            use dir = new TempDir()
            let regions (h: int) (w: int) =
                let node = RegionsJson.Write(pixelMasks h w [ box h w (0, w / 2) (0, h / 2) ])
                Encoding.UTF8.GetBytes(node.ToJsonString())
            let png = ImageLoader.EncodePng(gradient 64 48)
            let caption = Encoding.UTF8.GetBytes "a caption"
            do
                use w = new ShardWriter(dir.Path, "d", 10)
                for key, h, wd in [ "fits", 24, 32; "crop", 48, 48 ] do
                    let files = [ struct ("png", png); struct ("txt", caption); struct ("regions.json", regions h wd) ]
                    w.WriteFiles(key, files)
            let problems = DataProblems()
            let back = WebDatasetSource(dir.File "d-00000.tar", unshuffled, problems).Read() |> List.ofSeq
            let kept = back |> List.map (fun s -> s.Key, isNull s.Masks)
            Expect.equal kept [ "fits", false; "crop", true ] "both kept; the misfit without masks"
            Expect.equal (problems.Count "masks do not fit") 1 (problems.Summary())
        }
    ]
