module PowerClip.Train.Tests.DataMaskTests

open System
open System.Text.Json.Nodes
open Expecto
open PowerClip.Data
open PowerClip.Train.Tests.DataTestFiles
open PowerClip.Train.Tests.DataMaskFiles

let private discAndBar y x =
    (x - 20) * (x - 20) + (y - 18) * (y - 18) <= 121 || (y >= 2 && y <= 8 && x >= 30 && x <= 50)

let private tallWithHole y x = y >= 40 && y < 260 && x >= 2 && x < 10 && not (y >= 100 && y < 120 && x >= 5 && x < 7)

/// Strings and counts printed by pycocotools' own C code (cocoapi common/maskApi.c, rleEncode + rleToString,
/// commit 8c9bcc3) for the masks below, so the decoder is held to pycocotools, not to our encoder.
let private pycocotools =
    [ "2x3", 2, 3, maskOf 2 3 (fun y x -> (y, x) = (0, 1) || (y = 1 && x >= 1)), "221O", [ 2u; 2u; 1u; 1u ]
      "disc+bar", 37, 53, maskOf 37 53 discAndBar,
      "o:1P18J4M2N2N2O0O2O00000O20N1000001N101N2N2NGJG2;NIJ;6:00000000000000000000000000000000000X2",
      [ 351u; 1u; 32u; 9u; 26u; 13u; 23u; 15u; 21u; 17u; 19u; 19u; 18u; 19u; 17u; 21u; 16u; 21u; 16u; 21u
        16u; 21u; 15u; 23u; 15u; 21u; 16u; 21u; 16u; 21u; 16u; 21u; 17u; 19u; 18u; 19u; 19u; 17u; 21u; 15u
        23u; 13u; 14u; 7u; 5u; 9u; 16u; 7u; 9u; 1u; 20u; 7u; 30u; 7u; 30u; 7u; 30u; 7u; 30u; 7u
        30u; 7u; 30u; 7u; 30u; 7u; 30u; 7u; 30u; 7u; 30u; 7u; 30u; 7u; 30u; 7u; 30u; 7u; 30u; 7u
        30u; 7u; 30u; 7u; 30u; 7u; 30u; 7u; 102u ]
      "tall with a hole", 300, 12, maskOf 300 12 tallWithHole, "Pd0l6`20000PKTN`2l1`MTN`2l1`20000`a0",
      [ 640u; 220u; 80u; 220u; 80u; 220u; 80u; 60u; 20u; 140u; 80u; 60u; 20u; 140u; 80u; 220u; 80u; 220u; 80u
        220u; 640u ]
      "empty", 3, 4, maskOf 3 4 (fun _ _ -> false), "<", [ 12u ]
      "full", 3, 4, maskOf 3 4 (fun _ _ -> true), "0<", [ 0u; 12u ] ]

[<Tests>]
let rle =
    testList "data.masks.rle" [
        test "compressed RLE strings decode to pycocotools' counts and masks, and encode back to the same strings" {
            for name, h, w, mask, text, counts in pycocotools do
                Expect.sequenceEqual (CocoRle.Decompress text) counts $"{name}: counts"
                Expect.sequenceEqual (CocoRle.Encode(ReadOnlySpan mask, h, w)) counts $"{name}: counts from the mask"
                Expect.equal (CocoRle.Compress counts) text $"{name}: string"
                let raster = Array.zeroCreate<byte> (h * w)
                CocoRle.Fill(counts, h, w, Span raster)
                Expect.equal raster mask $"{name}: decoded mask (row-major)"
                Expect.equal (CocoRle.Area counts) (mask |> Array.sumBy int64) $"{name}: area"
        }
        test "a hand-checked string: the 2x3 mask 010/011 is read column by column" {
            // Column-major: 0 0 | 1 1 | 0 1 → runs 2 zeros, 2 ones, 1 zero, 1 one. Counts 0..2 are stored as is
            // ('0' + 2, '0' + 2, '0' + 1); count 3 as the difference to count 1: 1 - 2 = -1 = 0b11111 with the
            // sign bit 0x10 set and no continuation: '0' + 31 = 'O'.
            Expect.sequenceEqual (CocoRle.Decompress "221O") [ 2u; 2u; 1u; 1u ] "runs"
        }
        test "broken strings and sizes are errors that say what is wrong" {
            Expect.throwsT<FormatException> (fun () -> CocoRle.Decompress "22~" |> ignore) "a character outside 48..111"
            Expect.throwsT<FormatException> (fun () -> CocoRle.Decompress "2P" |> ignore) "ends inside a count"
            Expect.throwsT<FormatException> (fun () -> CocoRle.Decompress "0O" |> ignore) "a negative run"
            let bad = JsonNode.Parse """{"size": [2, 3], "counts": "22"}"""
            Expect.throwsT<FormatException> (fun () -> RleMask.Parse bad |> ignore) "counts do not cover h×w"
            let uncompressed = RleMask.Parse(JsonNode.Parse """{"size": [2, 3], "counts": [2, 2, 1, 1]}""")
            Expect.sequenceEqual uncompressed.Counts [ 2u; 2u; 1u; 1u ] "uncompressed RLE (a list) is read too"
        }
    ]

/// The grid patches (row-major on a g×g grid) of rows r0..r1 and columns c0..c1.
let private block (g: int) (r0, r1) (c0, c1) = [| for r in r0 .. r1 do for c in c0 .. c1 -> r * g + c |]

let private firstRegion (regions: RegionMasks | null) = (nonNull regions).Patches[0]

[<Tests>]
let geometry =
    testList "data.masks.geometry" [
        test "masks on a non-square image follow the resize and centre crop to the patch grid (RLE and grid forms)" {
            // 96x48 → shorter side 16: 32x16 (3 source px per output px), centre crop from resized column 8 =
            // source 24. The box over source columns 36..59 and rows 12..35 lands on output pixels 4..11 both
            // ways: patches (1..2, 1..2).
            let t = ImageTransform(16, 4)
            let expected = block 4 (1, 2) (1, 2)
            let wide = redBox 96 48 (36, 59) (12, 35)
            let struct (out, regions) = t.Apply(wide, pixelMasks 48 96 [ box 48 96 (36, 59) (12, 35) ])
            Expect.sequenceEqual (firstRegion regions) expected "RLE mask → patches 5, 6, 9, 10"
            let red = redShare out 16 4 |> Array.indexed |> Array.filter (fun (_, f) -> f > 0.5) |> Array.map fst
            Expect.sequenceEqual red expected "and the red pixels are there"
            // The same box as a {"grid": 8} mask over the whole image: cells are 12x6 px, so columns 3..4, rows 2..5.
            let struct (_, fromGrid) = t.Apply(wide, RegionMasks(8, [| block 8 (2, 5) (3, 4) |]))
            Expect.sequenceEqual (firstRegion fromGrid) expected "grid mask on a non-square image"
            // The tall image, transposed: centre crop from source row 24.
            let tall = redBox 48 96 (12, 35) (36, 59)
            let struct (_, fromTall) = t.Apply(tall, pixelMasks 96 48 [ box 96 48 (12, 35) (36, 59) ])
            Expect.sequenceEqual (firstRegion fromTall) expected "tall image"
            // Masks SAM computed on a half-size copy (48x24) lie over the whole image just the same.
            let struct (_, fromHalf) = t.Apply(wide, pixelMasks 24 48 [ box 24 48 (18, 29) (6, 17) ])
            Expect.sequenceEqual (firstRegion fromHalf) expected "masks at another resolution"
        }
        test "a mask cropped away is dropped; none left gives no regions; the coverage threshold is configurable" {
            let t = ImageTransform(16, 4)
            // Source columns 0..20 of the 96x48 image are cut by the centre crop (it starts at 24).
            let gone = RegionMasks(8, [| block 8 (0, 7) (0, 1) |])
            let struct (_, none) = t.Apply(redBox 96 48 (0, 0) (0, 0), gone)
            Expect.isNull none "nothing survives the crop"
            // On a 16x16 image (no resize), a mask over 4 of a patch's 16 pixels is a quarter; 3 pixels are not.
            let img = solid 16 16 (10uy, 10uy, 10uy)
            let quarter = maskOf 16 16 (fun y x -> y < 2 && x < 2)
            let three = maskOf 16 16 (fun y x -> (y, x) = (0, 0) || (y, x) = (0, 1) || (y, x) = (1, 0))
            let masks = pixelMasks 16 16 [ quarter; three ]
            let struct (_, atQuarter) = t.Apply(img, masks)
            Expect.equal (nonNull atQuarter).Count 1 "the 3-pixel mask covers no patch at ¼ and is dropped"
            Expect.sequenceEqual (firstRegion atQuarter) [| 0 |] "4 of 16 pixels hold patch 0 at ¼"
            let struct (_, atHalf) = ImageTransform(16, 4, MaskCoverage = 0.5).Apply(img, masks)
            Expect.isNull atHalf "at ½ neither holds a patch"
            let struct (_, atTenth) = ImageTransform(16, 4, MaskCoverage = 0.1).Apply(img, masks)
            Expect.equal (nonNull atTenth).Count 2 "at 0.1 both do"
        }
        test "the synthetic world's masks pass unchanged at its own grid and survive a coarser one" {
            let w = SyntheticWorld(WorldConfig(ImageSize = 64, PatchSize = 8, Seed = 5))
            let lists (r: RegionMasks | null) = (nonNull r).Patches |> Array.map List.ofArray
            for i in 0L .. 9L do
                let s = w.Sample(WorldSplit.Train, i).ToRaw()
                let struct (_, same) = ImageTransform(64, 8).Apply(s.Image, s.Regions)
                Expect.equal (lists same) (lists s.Regions) $"sample {i}"
                let struct (_, coarse) = ImageTransform(32, 8).Apply(s.Image, s.Regions)
                Expect.equal (nonNull coarse).Count (nonNull s.Regions).Count $"sample {i}: every object keeps a region"
        }
        test "masks follow the random augmentation crop: they land where the red pixels land" {
            let img = redBox 80 60 (20, 49) (15, 44)
            let mask = pixelMasks 60 80 [ box 60 80 (20, 49) (15, 44) ]
            let aug = ImageTransform(32, 8, true)
            let seen =
                [ for seed in 0 .. 11 ->
                    let struct (pixels, regions) = aug.Apply(img, mask, Random seed)
                    let patches = firstRegion regions |> Set.ofArray
                    let red = redShare pixels 32 8
                    for p in 0 .. red.Length - 1 do
                        // Bicubic edges blur one pixel line; away from the ¼ threshold the two must agree.
                        if red[p] >= 0.45 then
                            Expect.isTrue (patches.Contains p) $"seed {seed}: patch {p}, {red[p]:P0} red, in the region"
                        if red[p] <= 0.05 then
                            Expect.isFalse (patches.Contains p) $"seed {seed}: patch {p} has no red, not in the region"
                    patches ]
            Expect.isGreaterThan (List.distinct seen).Length 1 "the crops moved the mask across patches"
        }
    ]
