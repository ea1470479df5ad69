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

let private maskOf (xs: int list) = HashSet<int>(xs) :> IReadOnlySet<int>

/// S1 on a 3×3 grid (patches 0..8, row-major) with the given values at the given patches, −1 elsewhere.
let private s1 (values: (int * float32) list) : float32[] =
    let a = Array.create 9 -1.0f
    for p, v in values do a[p] <- v
    a

let private obj (shape: Shape) (colour: Colour) (x: float) (y: float) =
    WorldObject(shape, colour, ObjectSize.Large, x, y, 9.0)

let private scene (objects: WorldObject list) = WorldScene(List.toArray objects, (30uy, 30uy, 30uy))

/// Answers with S1 vectors chosen per (caption, phrase index); None marks a phrase the encoder does not see.
type private FakeSimilarity(answers: IDictionary<string, float32[] option list>) =
    interface IPhraseSimilarity with
        member _.Similarities(queries) =
            let answer (q: GroundingQuery) : IReadOnlyList<float32[] | null> =
                let a = answers[q.Caption]
                Expect.equal a.Length q.PhraseLeaves.Count $"one answer per phrase of '{q.Caption}'"
                let nullable (o: float32[] option) : float32[] | null = match o with Some v -> v | None -> null
                a |> List.map nullable |> List.toArray :> _
            queries |> Seq.map answer |> Seq.toArray :> _

let private comma (xs: string seq) = String.Join(", ", xs)
let private ints (xs: int list) = "[" + comma (xs |> Seq.map string) + "]"

let private phraseJson (t: string) (text: string) (leaves: int list) (mask: int list) =
    $"{{\"type\": \"{t}\", \"text\": \"{text}\", \"leaves\": {ints leaves}, \"mask\": {ints mask}}}"

let private itemJson (i: int) (caption: string) (tree: string) (phrases: string list) =
    $"{{\"id\": \"x{i}\", \"image\": \"images/{i}.png\", \"caption\": \"{caption}\", \"tree\": \"{tree}\", " +
    $"\"phrases\": [{comma phrases}]}}"

let private fileJson (grid: int) (items: string list) =
    $"{{\"format\": \"{GroundingExport.Format}\", \"grid_size\": {grid}, \"items\": [{comma items}]}}"

[<Tests>]
let tests =
    testList "grounding" [
        test "pointing: the largest-S1 patch in the mask is a hit, outside a miss, a tie reaching outside a miss" {
            let mask = maskOf [ 0; 1; 3; 4 ]
            Expect.isTrue (GroundingMetrics.Pointing(s1 [ 4, 0.9f; 8, 0.5f ], mask)) "max at 4, inside"
            Expect.isFalse (GroundingMetrics.Pointing(s1 [ 4, 0.5f; 8, 0.9f ], mask)) "max at 8, outside"
            Expect.isFalse (GroundingMetrics.Pointing(s1 [ 4, 0.9f; 8, 0.9f ], mask)) "tie with a patch outside"
            Expect.isTrue (GroundingMetrics.Pointing(s1 [ 0, 0.9f; 4, 0.9f ], mask)) "tie inside"
            Expect.isFalse (GroundingMetrics.Pointing(s1 [ 4, Single.NaN ], mask)) "NaN is a miss"
        }
        test "IoU of the selected subset (S1 > 0) with the mask, hand-computed" {
            let mask = maskOf [ 0; 1; 3; 4 ]
            // selected {0, 1, 2}: ∩ = {0, 1}, ∪ = {0, 1, 2, 3, 4} → 2/5
            let iou = GroundingMetrics.SelectedIoU(s1 [ 0, 0.1f; 1, 0.2f; 2, 0.3f ], mask)
            Expect.floatClose Accuracy.veryHigh iou 0.4 "2/5"
            Expect.equal (GroundingMetrics.SelectedIoU(s1 [ 0, 0.1f; 1, 0.1f; 3, 0.1f; 4, 2.0f ], mask)) 1.0 "the mask"
            Expect.equal (GroundingMetrics.SelectedIoU(s1 [], mask)) 0.0 "nothing selected"
            Expect.equal (GroundingMetrics.SelectedIoU(s1 [ 4, 0.0f ], mask)) 0.0 "S1 = 0 is not selected (weight ½)"
            Expect.throwsT<ArgumentException> (fun () -> GroundingMetrics.SelectedIoU(s1 [], maskOf []) |> ignore) "no"
            Expect.throwsT<ArgumentException> (fun () -> GroundingMetrics.Pointing(s1 [], maskOf [ 9 ]) |> ignore) "off"
        }
        test "phrase types by hand: unique shape → object, shared shape → attribute_object, relation → union" {
            // red circle (0) left of blue circle (1), green square (2); masks by hand
            let s = scene [ obj Shape.Circle Colour.Red 10.0 30.0; obj Shape.Circle Colour.Blue 50.0 30.0
                            obj Shape.Square Colour.Green 30.0 55.0 ]
            let masks = RegionMasks(8, [| [| 24; 25 |]; [| 29; 30 |]; [| 51; 52; 59 |] |])
            let m i = WorldGrammar.Mention(s, i, false)
            let caption = WorldGrammar.Build(3, [| m 0; m 1; m 2 |], Nullable Relation.LeftOf, false)
            Expect.equal caption.Text "a red circle left of a blue circle and a green square" "the caption"
            let phrases =
                GroundingPhrases.Of(s, caption, masks)
                |> Seq.map (fun p -> p.Type, p.Text, List.ofArray p.Leaves, List.ofArray p.Mask) |> Seq.toList
            Expect.equal phrases [
                GroundingPhraseType.AttributeObject, "a red circle", [ 0; 1; 2 ], [ 24; 25 ]
                GroundingPhraseType.AttributeObject, "a blue circle", [ 5; 6; 7 ], [ 29; 30 ]
                GroundingPhraseType.Object, "a green square", [ 9; 10; 11 ], [ 51; 52; 59 ]
                GroundingPhraseType.Relation, "a red circle left of a blue circle", [ 0 .. 7 ], [ 24; 25; 29; 30 ] ]
                "types, words and masks"
        }
        test "a noun phrase that fits two objects names none and is left out" {
            let s = scene [ obj Shape.Circle Colour.Red 10.0 30.0; obj Shape.Circle Colour.Red 50.0 30.0 ]
            let masks = RegionMasks(8, [| [| 24 |]; [| 30 |] |])
            let m i = WorldGrammar.Mention(s, i, false)
            let caption = WorldGrammar.Build(2, [| m 0; m 1 |], Nullable Relation.LeftOf, true)
            let phrases = GroundingPhrases.Of(s, caption, masks)
            let types = phrases |> Seq.map (fun p -> p.Type) |> List.ofSeq
            Expect.equal types [ GroundingPhraseType.Relation ] "only the relation, which tells them apart"
            Expect.equal (phrases[0].Text) "a red circle is left of a red circle" "the S node"
        }
        test "the export writes every phrase with the world's own masks, and the reader reads it back" {
            use dir = new TempDir()
            let world = SyntheticWorld(WorldConfig(ImageSize = 48, PatchSize = 8, Seed = 2))
            let phrases = GroundingExport(world).Write(dir.Path, 12)
            let items = GroundingFile.Read(dir.Path)
            Expect.equal (items |> Seq.sumBy (fun i -> i.Phrases.Count)) phrases "every phrase read back"
            let types = items |> Seq.collect (fun i -> i.Phrases) |> Seq.map (fun p -> p.Type) |> set
            Expect.isTrue (types.Contains GroundingPhraseType.Relation) "relations present"
            for item in items do
                let s = world.Sample(WorldSplit.Test, Int64.Parse(item.Id.Split('-')[2]))
                Expect.equal item.Caption s.Caption.Text "caption"
                Expect.isTrue (File.Exists item.Image) "image written"
                for p in item.Phrases do
                    let expected =
                        GroundingPhrases.Of(s.Scene, s.Caption, s.Masks) |> Seq.find (fun g -> g.Text = p.Text)
                    Expect.equal (List.ofArray p.Mask) (List.ofArray expected.Mask) $"{item.Id} '{p.Text}': mask"
        }
        test "the benchmark counts per type with a fake similarity whose answer is known, and truncated phrases" {
            use dir = new TempDir()
            Directory.CreateDirectory(dir.File "images") |> ignore
            for i in 0 .. 1 do File.WriteAllBytes(dir.File $"images/{i}.png", ImageLoader.EncodePng(gradient 4 4))
            let tree0 = "(NP (NP (DT a) (JJ red) (NN circle)) (PP (IN above) (NP (DT a) (JJ blue) (NN star))))"
            let tree1 = "(NP (DT a) (JJ green) (NN cross))"
            let items =
                [ itemJson 0 "a red circle above a blue star" tree0
                      [ phraseJson "object" "a red circle" [ 0; 1; 2 ] [ 0; 1 ]
                        phraseJson "attribute_object" "a blue star" [ 4; 5; 6 ] [ 7; 8 ]
                        phraseJson "relation" "a red circle above a blue star" [ 0 .. 6 ] [ 0; 1; 7; 8 ] ]
                  itemJson 1 "a green cross" tree1 [ phraseJson "object" "a green cross" [ 0; 1; 2 ] [ 4 ] ] ]
            File.WriteAllText(dir.File GroundingExport.FileName, fileJson 3 items)
            let fake =
                FakeSimilarity(dict [
                    "a red circle above a blue star",
                    [ Some(s1 [ 0, 0.9f; 1, 0.5f ])             // hit, IoU 1
                      Some(s1 [ 0, 0.9f; 7, 0.5f; 8, 0.5f ])    // miss, IoU 2/3
                      None ]                                    // truncated
                    "a green cross", [ Some(s1 [ 4, 0.3f; 5, 0.3f ]) ] ])   // a tie reaching outside: miss, IoU 1/2
            let r = GroundingBenchmark.Run(fake, dir.Path)
            Expect.equal (r.Items, r.Phrases, r.Truncated) (2, 4, 1) "2 images, 4 phrases, 1 truncated"
            let objects = r.ByType["object"]
            Expect.equal (objects.Pointing.Correct, objects.Pointing.Total) (1, 2) "object: 1 of 2"
            Expect.floatClose Accuracy.veryHigh objects.MeanIoU 0.75 "object IoU (1 + 1/2)/2"
            Expect.equal (r.ByType["attribute_object"].Pointing.Correct) 0 "attribute_object missed"
            Expect.floatClose Accuracy.veryHigh r.ByType["attribute_object"].MeanIoU (2.0 / 3.0) "attribute_object IoU"
            Expect.isFalse (r.ByType.ContainsKey "relation") "the relation was never scored"
            let items = r.All.Pointing.Items |> Option.ofObj |> Option.map List.ofSeq
            Expect.equal items (Some [ true; false; false ]) "per-phrase outcomes kept, in file order"
        }
        test "a malformed grounding file is a data error naming the problem" {
            use dir = new TempDir()
            let expectError (json: string) (mention: string) =
                File.WriteAllText(dir.File GroundingExport.FileName, json)
                let msg =
                    try GroundingFile.Read(dir.Path) |> ignore; "" with :? BenchmarkDataException as x -> x.Message
                Expect.stringContains msg mention "names the problem"
            expectError "{\"format\": \"other\"}" "format"
            expectError (fileJson 3 []) "no items"
            Directory.CreateDirectory(dir.File "images") |> ignore
            File.WriteAllBytes(dir.File "images/0.png", ImageLoader.EncodePng(gradient 4 4))
            let one (phrase: string) =
                fileJson 3 [ itemJson 0 "a red circle" "(NP (DT a) (JJ red) (NN circle))" [ phrase ] ]
            expectError (one (phraseJson "object" "a red square" [ 0; 1; 2 ] [ 0 ])) "not the text"
            expectError (one (phraseJson "object" "a red circle" [ 0; 1; 2 ] [ 9 ])) "mask"
            expectError (one (phraseJson "object" "a red circle" [ 0; 5 ] [ 0 ])) "leaves"
            expectError (fileJson 3 [ itemJson 0 "a red circle" "(NP (DT a) (JJ red)" [] ]) "tree does not parse"
        }
        test "masks on another grid are resampled to the model's" {
            let on (grid: int) (fileGrid: int) (mask: int list) =
                GroundingBenchmark.MaskOn(grid, fileGrid, List.toArray mask) |> Seq.sort |> List.ofSeq
            // a 2×2-patch object in the corner of a 4×4 grid is one patch of a 2×2 grid
            Expect.equal (on 2 4 [ 0; 1; 4; 5 ]) [ 0 ] "downsampled"
            Expect.equal (on 2 4 [ 0 ]) [ 0 ] "an object that covers no new centre keeps the cell under it"
            Expect.equal (on 4 4 [ 5; 6 ]) [ 5; 6 ] "same grid"
        }
    ]
