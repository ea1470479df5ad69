/// Grounding accuracy: the metric on hand-made S1 and masks, the phrase typing on hand-made scenes, the file
/// round trip, and the benchmark with a fake similarity whose every number is known.
module PowerClip.Train.Tests.GroundingTests

open System
open System.Collections.Generic
open System.IO
open Expecto
open PowerClip.Data
open PowerClip.Train.Evaluation
open PowerClip.Train.Tests.DataTestFiles

let private set (xs: int list) = HashSet<int>(xs) :> IReadOnlySet<int>

/// S1 on a 3×3 grid (patches 0..8, row-major) with the given values at the given patches, −1 elsewhere.
let private s1 (values: (int * float32) list) : float32[] =
    let a = Array.create 9 -1.0f
    for p, v in values do a[p] <- v
    a

let private obj (shape: Shape) (colour: Colour) (x: float) (y: float) = WorldObject(shape, colour, ObjectSize.Large, x, y, 9.0)

/// Answers with S1 vectors chosen per (caption, phrase index); None marks a phrase the encoder does not see.
type private FakeSimilarity(answers: IDictionary<string, float32[] option list>) =
    interface IPhraseSimilarity with
        member _.Similarities(queries) =
            queries
            |> Seq.map (fun q ->
                let a = answers[q.Caption]
                Expect.equal a.Length q.PhraseLeaves.Count $"one answer per phrase of '{q.Caption}'"
                a |> List.map (fun o -> match o with Some v -> (v: float32[] | null) | None -> null) |> List.toArray :> IReadOnlyList<float32[] | null>)
            |> Seq.toArray :> _

[<Tests>]
let tests =
    testList "grounding" [
        test "pointing: the largest-S1 patch in the mask is a hit, outside a miss, a tie reaching outside a miss" {
            let mask = set [ 0; 1; 3; 4 ]
            Expect.isTrue (GroundingMetrics.Pointing(s1 [ 4, 0.9f; 8, 0.5f ], mask)) "max at 4, inside"
            Expect.isFalse (GroundingMetrics.Pointing(s1 [ 4, 0.5f; 8, 0.9f ], mask)) "max at 8, outside"
            Expect.isFalse (GroundingMetrics.Pointing(s1 [ 4, 0.9f; 8, 0.9f ], mask)) "tie with a patch outside"
            Expect.isTrue (GroundingMetrics.Pointing(s1 [ 0, 0.9f; 4, 0.9f ], mask)) "tie inside"
            Expect.isFalse (GroundingMetrics.Pointing(s1 [ 4, Single.NaN ], mask)) "NaN is a miss"
        }
        test "IoU of the selected subset (S1 > 0) with the mask, hand-computed" {
            let mask = set [ 0; 1; 3; 4 ]
            // selected {0, 1, 2}: ∩ = {0, 1}, ∪ = {0, 1, 2, 3, 4} → 2/5
            Expect.floatClose Accuracy.veryHigh (GroundingMetrics.SelectedIoU(s1 [ 0, 0.1f; 1, 0.2f; 2, 0.3f ], mask)) 0.4 "2/5"
            Expect.equal (GroundingMetrics.SelectedIoU(s1 [ 0, 0.1f; 1, 0.1f; 3, 0.1f; 4, 2.0f ], mask)) 1.0 "exactly the mask"
            Expect.equal (GroundingMetrics.SelectedIoU(s1 [], mask)) 0.0 "nothing selected"
            Expect.equal (GroundingMetrics.SelectedIoU(s1 [ 4, 0.0f ], mask)) 0.0 "S1 = 0 is not selected (weight exactly ½)"
            Expect.throwsT<ArgumentException> (fun () -> GroundingMetrics.SelectedIoU(s1 [], set []) |> ignore) "empty mask"
            Expect.throwsT<ArgumentException> (fun () -> GroundingMetrics.Pointing(s1 [], set [ 9 ]) |> ignore) "mask outside the grid"
        }
        test "phrase types on a hand-made scene: unique shape → object, shared shape → attribute_object, relation → union" {
            // red circle (0) left of blue circle (1), green square (2); masks by hand
            let scene = WorldScene([| obj Shape.Circle Colour.Red 10.0 30.0; obj Shape.Circle Colour.Blue 50.0 30.0; obj Shape.Square Colour.Green 30.0 55.0 |], (30uy, 30uy, 30uy))
            let masks = RegionMasks(8, [| [| 24; 25 |]; [| 29; 30 |]; [| 51; 52; 59 |] |])
            let m i = WorldGrammar.Mention(scene, i, false)
            let caption = WorldGrammar.Build(3, [| m 0; m 1; m 2 |], Nullable Relation.LeftOf, false)
            Expect.equal caption.Text "a red circle left of a blue circle and a green square" "the caption"
            let phrases = GroundingPhrases.Of(scene, caption, masks) |> Seq.map (fun p -> p.Type, p.Text, List.ofArray p.Leaves, List.ofArray p.Mask) |> Seq.toList
            Expect.equal phrases [
                GroundingPhraseType.AttributeObject, "a red circle", [ 0; 1; 2 ], [ 24; 25 ]
                GroundingPhraseType.AttributeObject, "a blue circle", [ 5; 6; 7 ], [ 29; 30 ]
                GroundingPhraseType.Object, "a green square", [ 9; 10; 11 ], [ 51; 52; 59 ]
                GroundingPhraseType.Relation, "a red circle left of a blue circle", [ 0 .. 7 ], [ 24; 25; 29; 30 ] ] "types, words and masks"
        }
        test "a noun phrase that fits two objects names none and is left out" {
            let scene = WorldScene([| obj Shape.Circle Colour.Red 10.0 30.0; obj Shape.Circle Colour.Red 50.0 30.0 |], (30uy, 30uy, 30uy))
            let masks = RegionMasks(8, [| [| 24 |]; [| 30 |] |])
            let caption = WorldGrammar.Build(2, [| WorldGrammar.Mention(scene, 0, false); WorldGrammar.Mention(scene, 1, false) |], Nullable Relation.LeftOf, true)
            let phrases = GroundingPhrases.Of(scene, caption, masks)
            Expect.equal (phrases |> Seq.map (fun p -> p.Type) |> List.ofSeq) [ GroundingPhraseType.Relation ] "only the relation, which tells them apart"
            Expect.equal (phrases[0].Text) "a red circle is left of a red circle" "the S node"
        }
        test "the export writes every phrase with the world's own masks, and the reader reads it back" {
            use dir = new TempDir()
            let world = SyntheticWorld(WorldConfig(ImageSize = 48, PatchSize = 8, Seed = 2))
            let phrases = GroundingExport(world).Write(dir.Path, 12)
            let items = GroundingFile.Read(dir.Path)
            Expect.equal (items |> Seq.sumBy (fun i -> i.Phrases.Count)) phrases "every phrase read back"
            Expect.isTrue (items |> Seq.collect (fun i -> i.Phrases) |> Seq.exists (fun p -> p.Type = GroundingPhraseType.Relation)) "relations present"
            for item in items do
                let k = Int64.Parse(item.Id.Split('-')[2])
                let s = world.Sample(WorldSplit.Test, k)
                Expect.equal item.Caption s.Caption.Text "caption"
                for p in item.Phrases do
                    let expected = GroundingPhrases.Of(s.Scene, s.Caption, s.Masks) |> Seq.find (fun g -> g.Text = p.Text)
                    Expect.equal (List.ofArray p.Mask) (List.ofArray expected.Mask) $"{item.Id} '{p.Text}': mask"
                    Expect.isTrue (File.Exists item.Image) "image written"
        }
        test "the benchmark counts per type with a fake similarity whose answer is known, and counts truncated phrases" {
            use dir = new TempDir()
            Directory.CreateDirectory(dir.File "images") |> ignore
            for i in 0 .. 1 do File.WriteAllBytes(dir.File $"images/{i}.png", ImageLoader.EncodePng(gradient 4 4))
            let comma (xs: string seq) = String.Join(", ", xs)
            let ints (xs: int list) = "[" + comma (xs |> Seq.map string) + "]"
            let phrase (t: string) (text: string) (leaves: int list) (mask: int list) =
                $"{{\"type\": \"{t}\", \"text\": \"{text}\", \"leaves\": {ints leaves}, \"mask\": {ints mask}}}"
            let item (i: int) (caption: string) (tree: string) (phrases: string list) =
                $"{{\"id\": \"x{i}\", \"image\": \"images/{i}.png\", \"caption\": \"{caption}\", \"tree\": \"{tree}\", \"phrases\": [{comma phrases}]}}"
            let tree0 = "(NP (NP (DT a) (JJ red) (NN circle)) (PP (IN above) (NP (DT a) (JJ blue) (NN star))))"
            let tree1 = "(NP (DT a) (JJ green) (NN cross))"
            let items =
                [ item 0 "a red circle above a blue star" tree0 [ phrase "object" "a red circle" [ 0; 1; 2 ] [ 0; 1 ]
                                                                  phrase "attribute_object" "a blue star" [ 4; 5; 6 ] [ 7; 8 ]
                                                                  phrase "relation" "a red circle above a blue star" [ 0 .. 6 ] [ 0; 1; 7; 8 ] ]
                  item 1 "a green cross" tree1 [ phrase "object" "a green cross" [ 0; 1; 2 ] [ 4 ] ] ]
            File.WriteAllText(dir.File GroundingExport.FileName,
                              $"{{\"format\": \"{GroundingExport.Format}\", \"grid_size\": 3, \"items\": [{comma items}]}}")
            let fake =
                FakeSimilarity(dict [
                    "a red circle above a blue star", [ Some(s1 [ 0, 0.9f; 1, 0.5f ]);            // hit, IoU 1
                                                        Some(s1 [ 0, 0.9f; 7, 0.5f; 8, 0.5f ]);   // miss, IoU 2/3
                                                        None ]                                   // truncated
                    "a green cross", [ Some(s1 [ 4, 0.3f; 5, 0.3f ]) ] ])                         // tie outside: miss, IoU 1/2
            let r = GroundingBenchmark.Run(fake, dir.Path)
            Expect.equal (r.Items, r.Phrases, r.Truncated) (2, 4, 1) "2 images, 4 phrases, 1 truncated"
            Expect.equal (r.ByType["object"].Pointing.Correct, r.ByType["object"].Pointing.Total) (1, 2) "object: 1 of 2"
            Expect.floatClose Accuracy.veryHigh r.ByType["object"].MeanIoU 0.75 "object IoU (1 + 1/2)/2"
            Expect.equal (r.ByType["attribute_object"].Pointing.Correct) 0 "attribute_object missed"
            Expect.floatClose Accuracy.veryHigh r.ByType["attribute_object"].MeanIoU (2.0 / 3.0) "attribute_object IoU"
            Expect.isFalse (r.ByType.ContainsKey "relation") "the relation was never scored"
            Expect.equal (r.All.Pointing.Items |> Option.ofObj |> Option.map List.ofSeq) (Some [ true; false; false ]) "per-phrase outcomes kept, in file order"
        }
        test "a malformed grounding file is a data error naming the problem" {
            use dir = new TempDir()
            let expectError (json: string) (mention: string) =
                File.WriteAllText(dir.File GroundingExport.FileName, json)
                let msg = try GroundingFile.Read(dir.Path) |> ignore; "" with :? BenchmarkDataException as e -> e.Message
                Expect.stringContains msg mention "names the problem"
            expectError "{\"format\": \"other\"}" "format"
            expectError $"{{\"format\": \"{GroundingExport.Format}\", \"grid_size\": 3, \"items\": []}}" "no items"
            Directory.CreateDirectory(dir.File "images") |> ignore
            File.WriteAllBytes(dir.File "images/0.png", ImageLoader.EncodePng(gradient 4 4))
            let one (phrase: string) =
                $"{{\"format\": \"{GroundingExport.Format}\", \"grid_size\": 3, \"items\": [{{\"id\": \"a\", \"image\": \"images/0.png\", " +
                $"\"caption\": \"a red circle\", \"tree\": \"(NP (DT a) (JJ red) (NN circle))\", \"phrases\": [{phrase}]}}]}}"
            expectError (one "{\"type\": \"object\", \"text\": \"a red square\", \"leaves\": [0, 1, 2], \"mask\": [0]}") "not the text"
            expectError (one "{\"type\": \"object\", \"text\": \"a red circle\", \"leaves\": [0, 1, 2], \"mask\": [9]}") "mask"
            expectError (one "{\"type\": \"object\", \"text\": \"a red circle\", \"leaves\": [0, 5], \"mask\": [0]}") "leaves"
        }
        test "masks on another grid are resampled to the model's" {
            // a 2×2-patch object in the corner of a 4×4 grid is one patch of a 2×2 grid
            Expect.equal (GroundingBenchmark.MaskOn(2, 4, [| 0; 1; 4; 5 |]) |> Seq.sort |> List.ofSeq) [ 0 ] "downsampled"
            Expect.equal (GroundingBenchmark.MaskOn(2, 4, [| 0 |]) |> List.ofSeq) [ 0 ] "a small object that covers no new centre keeps the cell under it"
            Expect.equal (GroundingBenchmark.MaskOn(4, 4, [| 5; 6 |]) |> Seq.sort |> List.ofSeq) [ 5; 6 ] "same grid"
        }
    ]
