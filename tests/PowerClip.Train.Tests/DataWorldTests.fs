module PowerClip.Train.Tests.DataWorldTests

open System
open Expecto
open PowerClip.Data

let private small = WorldConfig(ImageSize = 64, PatchSize = 8, Seed = 3)
let private paper = WorldConfig(Seed = 5)

[<Tests>]
let world =
    testList "data.world" [
        test "samples are a pure function of the seed, split and index" {
            let a, b = SyntheticWorld(small), SyntheticWorld(small)
            for i in [ 0L; 7L; 123L ] do
                for split in [ WorldSplit.Train; WorldSplit.Test ] do
                    let x, y = a.Sample(split, i), b.Sample(split, i)
                    Expect.equal x.Caption.Text y.Caption.Text "caption"
                    Expect.equal x.Image.Pixels y.Image.Pixels "pixels"
                    Expect.equal (x.Masks.Patches |> Array.map List.ofArray) (y.Masks.Patches |> Array.map List.ofArray)
                        "masks"
            let other = SyntheticWorld(WorldConfig(ImageSize = 64, PatchSize = 8, Seed = 4))
            let differ =
                [ 0L .. 9L ]
                |> List.filter (fun i ->
                    other.Sample(WorldSplit.Train, i).Image.Pixels <> a.Sample(WorldSplit.Train, i).Image.Pixels)
            Expect.equal differ.Length 10 "another seed gives other images"
        }
        test "the held-out split is disjoint: no training sample has a held-out combination, every test \
            sample has one" {
            let w = SyntheticWorld(small)
            let heldOutObject (s: WorldSample) =
                s.Scene.Objects |> Seq.exists (fun o -> w.HeldOut.IsHeldOut(o.Colour, o.Shape))
            let train = [ for i in 0L .. 399L -> w.Sample(WorldSplit.Train, i) ]
            let test = [ for i in 0L .. 399L -> w.Sample(WorldSplit.Test, i) ]
            for s in train do
                Expect.isFalse (heldOutObject s) $"{s.Key}: held-out colour×shape in training"
                for c in Seq.append [ s.Caption ] (w.MoreCaptions(s, 3, 0L)) do
                    Expect.isFalse (w.IsHeldOut(s.Scene, c.Fact))
                        $"{s.Key}: held-out relation in training caption '{c.Text}'"
            for s in test do
                Expect.isTrue (heldOutObject s || w.IsHeldOut(s.Scene, s.Caption.Fact))
                    $"{s.Key}: test sample without a held-out combination"
            Expect.isTrue (test |> List.exists (fun s -> not (heldOutObject s)))
                "some test samples are held out by their relation alone"
            let trainImages = train |> List.map (fun s -> Convert.ToBase64String s.Image.Pixels) |> set
            Expect.isTrue
                (test |> List.forall (fun s -> not (trainImages.Contains(Convert.ToBase64String s.Image.Pixels))))
                "no test image in training"
            let seenColours = train |> List.collect (fun s -> [ for o in s.Scene.Objects -> o.Colour ]) |> set
            let seenShapes = train |> List.collect (fun s -> [ for o in s.Scene.Objects -> o.Shape ]) |> set
            Expect.equal seenColours.Count WorldVocabulary.Colours.Length "every colour is seen in training"
            Expect.equal seenShapes.Count WorldVocabulary.Shapes.Length "every shape is seen in training"
            let heldOut = w.HeldOut.HeldOutColourShapes() |> Seq.length
            Expect.isTrue (heldOut >= 8 && heldOut <= 12) $"about one in five of 48 colour×shape pairs held out \
                ({heldOut})"
        }
        test "a relation and its converse are held out together" {
            let h = HeldOutSplit(small)
            for r in WorldVocabulary.Relations do
                for a in WorldVocabulary.Shapes do
                    for b in WorldVocabulary.Shapes do
                        Expect.equal (h.IsHeldOut(r, a, b)) (h.IsHeldOut(WorldVocabulary.Converse r, b, a))
                            $"{r} {a} {b}"
        }
        test "captions are true of their scenes, and their tree leaves are the caption's words" {
            let w = SyntheticWorld(small)
            for i in 0L .. 199L do
                let s = w.Sample(WorldSplit.Train, i)
                Expect.isTrue (WorldTruth.IsTrue(s.Scene, s.Caption)) $"{s.Key}: '{s.Caption.Text}'"
                Expect.equal (String.Join(" ", s.Caption.Tree.Words)) s.Caption.Text "leaves = words"
                for o in 0 .. s.Scene.Objects.Count - 1 do
                    let leaves = s.Caption.ObjectLeaves[o]
                    Expect.isNonEmpty leaves $"object {o} is mentioned"
                    Expect.contains (s.Caption.Tree.Nodes() |> Array.map List.ofArray) (List.ofArray leaves)
                        "its noun phrase is a node"
                    Expect.equal s.Caption.Tree.Words[leaves[leaves.Length - 1]]
                        (WorldVocabulary.Word s.Scene.Objects[o].Shape) "the phrase ends with its shape"
        }
        test "the built-in parser reproduces the grammar's exact trees" {
            let w = SyntheticWorld(small)
            for split in [ WorldSplit.Train; WorldSplit.Test ] do
                for i in 0L .. 149L do
                    let s = w.Sample(split, i)
                    Expect.equal ((CaptionParser.Parse s.Caption.Text).ToBracketString())
                        (s.Caption.Tree.ToBracketString()) s.Caption.Text
        }
        test "masks are exact on the patch grid: a patch is an object's when it paints at least a quarter of it" {
            for config in [ small; paper ] do
                let w = SyntheticWorld(config)
                let g, p, n = config.GridSize, config.PatchSize, config.ImageSize
                for i in 0L .. 24L do
                    let s = w.Sample(WorldSplit.Train, i)
                    Expect.equal s.Masks.GridSize g "grid"
                    Expect.equal s.Masks.Count s.Scene.Objects.Count "one mask per object"
                    for o in 0 .. s.Scene.Objects.Count - 1 do
                        let obj = s.Scene.Objects[o]
                        // The object's painted colour is the one at its centre (inside every shape); the background is
                        // darker.
                        let c = 3 * (int obj.Y * n + int obj.X)
                        let colour = s.Image.Pixels[c .. c + 2]
                        let counts = Array.zeroCreate (g * g)
                        for y in 0 .. n - 1 do
                            for x in 0 .. n - 1 do
                                let k = 3 * (y * n + x)
                                if s.Image.Pixels[k .. k + 2] = colour then
                                    counts[(y / p) * g + x / p] <- counts[(y / p) * g + x / p] + 1
                        let expected = [ for q in 0 .. g * g - 1 do if 4 * counts[q] >= p * p then q ]
                        let expected = if expected.IsEmpty then [ Array.IndexOf(counts,
                                                                                Array.max counts) ] else expected
                        Expect.equal (List.ofArray s.Masks.Patches[o]) expected
                            $"{s.Key} object {o} ({config.ImageSize}/{config.PatchSize})"
        }
        test "bad world settings are one clear error" {
            Expect.throwsT<ArgumentException>
                (fun () -> SyntheticWorld(WorldConfig(ImageSize = 64, PatchSize = 7)) |> ignore) "patch must divide"
            Expect.throwsT<ArgumentException> (fun () -> SyntheticWorld(WorldConfig(MaxObjects = 9)) |> ignore)
                "at most 4 objects"
        }
        test "region masks convert to CSR and resample to another grid" {
            let m = RegionMasks(4, [| [| 0; 1; 4; 5 |]; [| 15 |] |])
            let struct (offsets, indices) = m.ToCsr()
            Expect.sequenceEqual offsets [ 0; 4; 5 ] "offsets"
            Expect.sequenceEqual indices [ 0; 1; 4; 5; 15 ] "indices"
            let r = m.Resample 2
            Expect.sequenceEqual r.Patches[0] [ 0 ] "top-left quarter"
            Expect.sequenceEqual r.Patches[1] [ 3 ] "bottom-right"
            Expect.sequenceEqual (m.Resample 8).Patches[0] [ 0; 1; 2; 3; 8; 9; 10; 11; 16; 17; 18; 19; 24; 25; 26; 27 ]
                "finer grid"
        }
    ]
