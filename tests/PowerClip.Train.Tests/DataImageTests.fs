module PowerClip.Train.Tests.DataImageTests

open System
open System.IO
open Expecto
open PowerClip.Data
open PowerClip.Train.Tests.DataTestFiles

[<Tests>]
let images =
    testList "data.images" [
        test "hostile image files (truncated, zero bytes, wrong extension, huge declared size) are refused with \
            their reason" {
            use dir = new TempDir()
            for name, bytes, _ in hostileImages () do File.WriteAllBytes(dir.File name, bytes)
            let loader = ImageLoader()
            for name, _, reason in hostileImages () do
                let r = loader.Load(dir.File name)
                match reason with
                | None -> Expect.isTrue r.Ok $"{name} loads ({r.Reason}: {r.Detail})"
                | Some why ->
                    Expect.isFalse r.Ok $"{name} is refused"
                    Expect.equal r.Reason why $"{name}: {r.Detail}"
        }
        test "the folder source skips hostile files with counts and logs key and reason" {
            use dir = new TempDir()
            for i, (name, bytes, _) in List.indexed (hostileImages ()) do
                let stem = $"{i:D2}-" + Path.GetFileNameWithoutExtension name
                File.WriteAllBytes(dir.File(stem + Path.GetExtension name), bytes)
                File.WriteAllText(dir.File(stem + ".txt"), "caption " + string i)
            File.WriteAllBytes(dir.File "99-nocaption.png", ImageLoader.EncodePng(gradient 4 4))
            let log = new StringWriter()
            let problems = DataProblems(log)
            let samples = FolderSource(dir.Path, StreamOptions(ShuffleBuffer = 0, Parallelism = 2),
                                       problems).Read() |> List.ofSeq
            let hostile = hostileImages ()
            Expect.equal samples.Length (hostile |> List.filter (fun (_, _, r) -> r.IsNone) |> List.length)
                "good images"
            Expect.equal problems.Total (1 + (hostile |> List.filter (fun (_, _, r) -> r.IsSome) |> List.length))
                (problems.Summary())
            Expect.equal (problems.Count "too large") 1 "the decompression bomb"
            Expect.equal (problems.Count "missing caption") 1 "no sidecar"
            let lines = log.ToString().Trim().Split('\n')
            Expect.equal lines.Length problems.Total "one log line per problem"
            Expect.isTrue (lines |> Array.exists (fun l -> l.Contains "huge.png" && l.Contains "too large"))
                "key and reason logged"
        }
        test "the pixel cap is checked from the header, before decoding" {
            let png = ImageLoader.EncodePng(gradient 20 20)
            Expect.isTrue (ImageLoader(400L).Load(png).Ok) "at the cap"
            let r = ImageLoader(399L).Load(png)
            Expect.equal r.Reason "too large" "over the cap"
            Expect.stringContains r.Detail "20x20" "says the declared size"
            // The bomb's header says 10^10 pixels; its data is 16 pixels: refused without trying to allocate.
            Expect.equal (ImageLoader().Load(pngDeclaring 100000u 100000u)).Reason "too large" "bomb"
        }
        test "CLIP preprocessing: resize, centre crop, mean/std, CHW" {
            let t = ImageTransform(8, 4)
            let struct (white, noRegions) = t.Apply(solid 16 8 (255uy, 255uy, 255uy), null)
            Expect.isNull noRegions "no regions in, none out"
            Expect.equal white.Length (3 * 8 * 8) "3×8×8"
            for ch in 0..2 do
                let expected = (1.0f - ImageTransform.ClipMean[ch]) / ImageTransform.ClipStd[ch]
                for i in 0..63 do
                    Expect.floatClose Accuracy.high (float white[ch * 64 + i]) (float expected) "normalised white"
            // Left half black, right half red, 16×8: the centre crop is columns 4..11, so its left column is black, its
            // right red.
            let px = Array.init (16 * 8 * 3) (fun i ->
                let x = (i / 3) % 16
                if i % 3 = 0 && x >= 8 then 255uy else 0uy)
            let struct (mid, _) = t.Apply(RgbImage(16, 8, px), null)
            Expect.isLessThan mid[0] 0.0f "left column of the crop: no red"
            Expect.isGreaterThan mid[7] 1.0f "right column: red"
        }
        test "regions follow the image to the output patch grid; augmentation is deterministic by seed" {
            let w = SyntheticWorld(WorldConfig(ImageSize = 64, PatchSize = 8, Seed = 2))
            let s = w.Sample(WorldSplit.Train, 0L).ToRaw()
            let struct (_, regions) = ImageTransform(32, 8).Apply(s.Image, s.Regions)
            Expect.equal (nonNull regions).GridSize 4 "32/8"
            Expect.equal (nonNull regions).Count (nonNull s.Regions).Count "same regions"
            let aug = ImageTransform(32, 8, true)
            let run seed = let struct (p, r) = aug.Apply(s.Image, s.Regions, Random(seed: int)) in p, r
            let a1, r1 = run 5
            Expect.equal a1 (fst (run 5)) "same seed"
            Expect.notEqual a1 (fst (run 6)) "other seed"
            Expect.isNotNull r1 "regions kept through the random crop"
            let plain = gradient 40 40
            let crop seed = let struct (p, _) = aug.Apply(plain, null, Random(seed: int)) in p
            Expect.notEqual (crop 1) (crop 2) "random crop"
        }
        test "the sample preparer: pixels, regions, tokens and loss tree; bad samples dropped with counts" {
            let w = SyntheticWorld(WorldConfig(ImageSize = 32, PatchSize = 8, Seed = 9))
            let problems = DataProblems()
            let prep = SamplePreparer(ImageTransform(32, 8, true), CaptionTokenizer.Gpt2(), problems, seed = 1)
            let options = StreamOptions(ShuffleBuffer = 8, Seed = 4, Parallelism = 2, Prefetch = 4)
            let source = WorldSource(w, WorldSplit.Train, 16, options)
            let epoch0 = prep.Stream(source, 0, options) |> List.ofSeq
            Expect.equal epoch0.Length 16 "all samples"
            Expect.equal (prep.Stream(source, 0, options) |> Seq.map (fun s -> s.Key, s.Pixels) |> List.ofSeq)
                (epoch0 |> List.map (fun s -> s.Key, s.Pixels)) "deterministic with augmentation and parallelism"
            Expect.notEqual (prep.Stream(source, 1, options) |> Seq.map (fun s -> s.Key) |> List.ofSeq)
                (epoch0 |> List.map (fun s -> s.Key)) "new order next epoch"
            for s in epoch0 do
                Expect.equal (String.Join(" ", s.Text.Tree.Words)) s.Caption "shipped tree used"
                Expect.equal s.Text.Loss.LeafSpans.Length s.Text.Tree.LeafCount "a span per word"
                Expect.equal (nonNull s.Regions).GridSize 4 "grid"
            Expect.isNull (prep.Prepare(RawSample("bad", "...", gradient 8 8))) "a caption without words"
            Expect.equal (problems.Count "bad caption") 1 (problems.Summary())
        }
    ]
