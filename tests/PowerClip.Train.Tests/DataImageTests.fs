module PowerClip.Train.Tests.DataImageTests

open System
open System.IO
open Expecto
open PowerClip.Train.Data
open PowerClip.Train.Tests.DataTestFiles

[<Tests>]
let images =
    testList "data.images" [
        test "hostile image files (truncated, zero bytes, wrong extension, huge declared size) are refused with their reason" {
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
            let samples = FolderSource.Read(dir.Path, StreamOptions(ShuffleBuffer = 0, Parallelism = 2), problems) |> List.ofSeq
            let hostile = hostileImages ()
            Expect.equal samples.Length (hostile |> List.filter (fun (_, _, r) -> r.IsNone) |> List.length) "good images"
            Expect.equal problems.Total (1 + (hostile |> List.filter (fun (_, _, r) -> r.IsSome) |> List.length)) (problems.Summary())
            Expect.equal (problems.Count "too large") 1 "the decompression bomb"
            Expect.equal (problems.Count "missing caption") 1 "no sidecar"
            let lines = log.ToString().Trim().Split('\n')
            Expect.equal lines.Length problems.Total "one log line per problem"
            Expect.isTrue (lines |> Array.exists (fun l -> l.Contains "huge.png" && l.Contains "too large")) "key and reason logged"
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
            let white = t.Apply(RawSample("w", "c", solid 16 8 (255uy, 255uy, 255uy)), null)
            Expect.equal white.Pixels.Length (3 * 8 * 8) "3×8×8"
            for ch in 0..2 do
                let expected = (1.0f - ImageTransform.ClipMean[ch]) / ImageTransform.ClipStd[ch]
                for i in 0..63 do Expect.floatClose Accuracy.high (float white.Pixels[ch * 64 + i]) (float expected) "normalised white"
            // A left-black/right-red wide image: the centre crop keeps the middle, where the halves meet.
            let px = Array.init (16 * 8 * 3) (fun i -> let x = (i / 3) % 16 in if i % 3 = 0 && x >= 8 then 255uy else 0uy)
            let mid = t.Apply(RawSample("m", "c", RgbImage(16, 8, px)), null)
            Expect.isLessThan mid.Pixels[0] 0.0f "left column of the crop is dark red channel"
            Expect.isGreaterThan mid.Pixels[7] 1.0f "right column is red"
        }
        test "regions follow the image to the output patch grid; augmentation is deterministic by seed" {
            let w = SyntheticWorld(WorldConfig(ImageSize = 64, PatchSize = 8, Seed = 2))
            let s = w.Sample(WorldSplit.Train, 0L).ToRaw()
            let out = ImageTransform(32, 8).Apply(s, null)
            Expect.equal (nonNull out.Regions).GridSize 4 "32/8"
            Expect.equal (nonNull out.Regions).Count (nonNull s.Regions).Count "same regions"
            let aug = ImageTransform(32, 8, true)
            let a1 = aug.Apply(s, null, Random(5))
            let a2 = aug.Apply(s, null, Random(5))
            let a3 = aug.Apply(s, null, Random(6))
            Expect.equal a1.Pixels a2.Pixels "same seed"
            Expect.notEqual a1.Pixels a3.Pixels "other seed"
            Expect.isNotNull a1.Regions "regions kept (no random crop for masked samples)"
            let plain = RawSample("p", "c", gradient 40 40)
            Expect.notEqual (aug.Apply(plain, null, Random(1)).Pixels) (aug.Apply(plain, null, Random(2)).Pixels) "random crop"
        }
    ]
