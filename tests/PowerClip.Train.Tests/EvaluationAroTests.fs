/// ARO as its official code reads and reports it: VG-Relation/-Attribution with images/ and the bounding-box crop,
/// macro accuracy (symmetric relations out; attribute pairs with ≥ 25 items), micro beside it; COCO-/Flickr30k-Order
/// with seeded perturbations and pre_caption.
module PowerClip.Train.Tests.EvaluationAroTests

open System
open System.IO
open Expecto
open PowerClip.Data
open PowerClip.Train.Evaluation
open PowerClip.Train.Tests.DataTestFiles
open PowerClip.Train.Tests.EvaluationFixtures

/// An item of the official files: image 7.jpg, box (2, 1, 5, 3), the group field given as JSON.
let private vgItem (field: string) (t: string) (f: string) (group: string) =
    $"""{{"image_id": "7", "image_path": "7.jpg", "bbox_x": 2, "bbox_y": 1, "bbox_w": 5, "bbox_h": 3, """
    + $""""true_caption": {str t}, "false_caption": {str f}, "{field}": {group}}}"""

let private relationItem t f (relation: string) = vgItem "relation_name" t f (str relation)

let private array (items: string list) = "[" + String.concat ", " items + "]"

/// A pair scorer from a function of (image, caption).
let private scorer (f: string -> string -> float) =
    { new IPairScorer with
        member _.Name = "test"
        member _.Score(pairs) = pairs |> Seq.map (fun struct (i, c) -> f i c) |> Seq.toArray }

let private words (s: string) = s.Split(' ') |> Array.sort
let private tokens (s: string) = s.Split(' ')
let private pixel (img: RgbImage) (x: int) (y: int) = img.Pixels[3 * (y * img.Width + x) .. 3 * (y * img.Width + x) + 2]
let private crop = "7.jpg#crop=2,1,7,4"

[<Tests>]
let tests =
    testList "evaluation ARO" [
        test "VG-Relation: images under images/, cropped to the box; macro over relations without the symmetric ones" {
            use dir = new TempDir()
            File.WriteAllBytes(Path.Combine(folder dir "images", "7.jpg"), ImageLoader.EncodePng(gradient 20 10))
            let items = [ relationItem "t" "f" "wearing"; relationItem "f" "t" "wearing"
                          relationItem "t" "f" "next to"; relationItem "t" "f" "on" ]
            File.WriteAllText(dir.File "visual_genome_relation.json", array items)
            let enc = FakeEncoder(vectors [ crop, e 0 ], vectors [ "t", e 0; "f", e 1 ])
            let r = AroBenchmark.Run(enc, dir.Path)
            let t = r.Tests["visual_genome_relation"]
            expectProportion t.Micro 3 4 "micro: every item once"
            Expect.equal t.Macro (Nullable 0.75) "macro: wearing 1/2 and on 1/1; 'next to' is symmetric, left out"
            Expect.equal t.MacroGroups 2 "two relations averaged"
            Expect.equal (List.ofSeq (nonNull t.Groups).Keys) [ "next to"; "on"; "wearing" ] "per-relation accuracies"
            let seen = set [ Path.Combine(dir.Path, "images", "7.jpg") + "#crop=2,1,7,4" ]
            Expect.equal (set enc.ImagesSeen) seen "the box (x, y, x + w, y + h)"
            let lines = r.Lines() |> Seq.map (fun l -> l.Metric) |> List.ofSeq
            Expect.equal lines [ "visual_genome_relation: macro accuracy (official)"
                                 "visual_genome_relation: micro accuracy" ] "macro first, micro second"
            Expect.equal AroMacro.SymmetricRelations.Count 157 "the notebook's list"
        }
        test "the crop is PIL's: exact pixels, half-to-even rounding, black outside the image" {
            let img = gradient 6 5
            let c = BenchmarkImage.Crop(img, CropBox.FromXywh(2.5, 1.0, 2.0, 3.5), "t")
            Expect.equal (c.Width, c.Height) (2, 3) "box (2, 1, 4, 4): round(2.5) = 2 and round(4.5) = 4 (half to even)"
            Expect.equal (pixel c 0 0) (pixel img 2 1) "top-left = source (2, 1)"
            let outside = BenchmarkImage.Crop(img, CropBox(4, 3, 8, 6), "t")
            Expect.equal (pixel outside 1 0) (pixel img 5 3) "inside part copied"
            Expect.equal (pixel outside 2 0) [| 0uy; 0uy; 0uy |] "right of the image: black"
            Expect.equal (pixel outside 0 2) [| 0uy; 0uy; 0uy |] "below the image: black"
        }
        test "VG-Attribution: macro over attribute pairs with at least 25 items" {
            use dir = new TempDir()
            image (Path.Combine(dir.Path, "images", "7.jpg"))
            let item t f a b = vgItem "attributes" t f $"[{str a}, {str b}]"
            let items = List.replicate 25 (item "t" "f" "white" "black") @ List.replicate 3 (item "f" "t" "red" "blue")
            File.WriteAllText(dir.File "visual_genome_attribution.json", array items)
            let r = AroBenchmark.Run(FakeEncoder(vectors [ crop, e 0 ], vectors [ "t", e 0; "f", e 1 ]), dir.Path)
            let t = r.Tests["visual_genome_attribution"]
            Expect.equal (t.Macro, t.MacroGroups) (Nullable 1.0, 1) "red_blue has 3 < 25 items: left out"
            expectProportion t.Micro 25 28 "micro counts them"
            expectProportion (nonNull t.Groups).["red_blue"] 0 3 "group key attributes[0]_attributes[1]"
        }
        test "pre_caption and the four perturbations: exact cleaning; each moves only what it should; seeded" {
            let cleaned = OrderPerturbations.PreCaption "A Dog; sits (on)  the  chair!!\n"
            Expect.equal cleaned "a dog sits on the chair" "BLIP's pre_caption"
            Expect.equal (OrderPerturbations.PreCaption("one two three four", 2)) "one two" "max words"
            let c = "a small dog and a big cat sit on the green grass"
            let at (positions: int list) (s: string) = positions |> List.map (fun i -> (tokens s).[i])
            let nouns, adjectivesAndNouns, others = [ 2; 6; 11 ], [ 1; 2; 5; 6; 10; 11 ], [ 0; 3; 4; 7; 8; 9 ]
            let trigrams (s: string) = tokens s |> Array.chunkBySize 3 |> Array.map (String.concat " ")
            for seed in 0 .. 20 do
                let p = OrderPerturbations.ShuffleNounsAndAdjectives(c, Random seed)
                Expect.equal (words p) (words c) "same words"
                Expect.equal (at others p) (at others c) "tokens that are neither nouns nor adjectives stay"
                Expect.equal (List.sort (at nouns p)) (List.sort (at nouns c)) "nouns stay on noun positions"
                let q = OrderPerturbations.ShuffleAllButNounsAndAdjectives(c, Random seed)
                Expect.equal (at adjectivesAndNouns q) (at adjectivesAndNouns c) "nouns and adjectives stay"
                let w = tokens (OrderPerturbations.ShuffleWithinTrigrams(c, Random seed))
                for g in 0 .. 3 do
                    let original = (tokens c).[3 * g .. 3 * g + 2]
                    Expect.equal (Array.sort w[3 * g .. 3 * g + 2]) (Array.sort original) $"trigram {g}"
                let t = trigrams (OrderPerturbations.ShuffleTrigrams(c, Random seed))
                Expect.equal (Array.sort t) (Array.sort (trigrams c)) "trigrams move whole"
                Expect.equal (OrderPerturbations.Apply(0, c, Random seed)) p "same seed, same perturbation"
            let outputs = set [ for seed in 0 .. 20 -> OrderPerturbations.ShuffleTrigrams(c, Random seed) ]
            Expect.isGreaterThan outputs.Count 5 "the seed matters"
            Expect.notEqual (AroOrder.Seed(0, 1, 2, 3)) (AroOrder.Seed(0, 1, 3, 2)) "item, caption, perturbation mixed"
        }
        test "COCO-Order: five options per caption, the true one first; a tie favours it (argmax picks the first)" {
            use dir = new TempDir()
            let name = "COCO_val2014_000000000042.jpg"
            image (Path.Combine(dir.Path, "val2014", name))
            let file = dir.File "coco_karpathy_test.json"
            File.WriteAllText(file, $"""[{{"image": "val2014/{name}", "image_id": "42", """
                                    + """"caption": ["A man riding a brown horse.", "Two dogs on a beach!"]}]""")
            let cases = AroOrder.Cases(file, 0)
            Expect.equal cases.Count 2 "one case per caption"
            let struct (image0, options0) = cases[0]
            let struct (_, options1) = cases[1]
            Expect.equal image0 (Path.Combine(dir.Path, "val2014", name)) "image relative to the file's folder"
            Expect.equal options0[0] "a man riding a brown horse" "option 0 = pre_caption(caption)"
            Expect.equal options1.Length 5 "four perturbations"
            let r = AroBenchmark.Run(scorer (fun _ _ -> 1.0), dir.Path)
            expectProportion r.Tests["coco_order"].Micro 2 2 "constant score: every option ties, the true caption wins"
            let truths = set [ "a man riding a brown horse"; "two dogs on a beach" ]
            let longer = scorer (fun _ c -> if truths.Contains c then 0.0 else float c.Length)
            let r2 = AroBenchmark.Run(longer, dir.Path, 0)
            expectProportion r2.Tests["coco_order"].Micro 0 2 "every perturbed caption outscores the true one"
            let metrics = r2.Lines() |> Seq.map (fun l -> l.Metric) |> List.ofSeq
            Expect.equal metrics [ "coco_order: precision@1 (official)" ] "metric"
            File.WriteAllText(file, """[{"image": "val2014/nope.jpg", "caption": ["x"]}]""")
            throwsData (fun () -> AroOrder.Cases(file, 0)) [ "coco_karpathy_test.json item 0"; "image not found" ]
        }
        test "bad ARO files: one-line errors naming the file and the item" {
            use dir = new TempDir()
            image (Path.Combine(dir.Path, "images", "7.jpg"))
            let enc = FakeEncoder(vectors [], vectors [])
            let relations = dir.File "visual_genome_relation.json"
            let attributions = dir.File "visual_genome_attribution.json"
            let run () = AroBenchmark.Run(enc, dir.Path)
            File.WriteAllText(relations, """[{"image_path": "7.jpg", "true_caption": "t", "false_caption": "f"}]""")
            throwsData run [ "visual_genome_relation.json item 0"; "missing field 'bbox_x'" ]
            File.WriteAllText(relations, array [ vgItem "relation_name" "t" "f" "3" ])
            throwsData run [ "item 0"; "'relation_name' is not a string" ]
            File.WriteAllText(relations, array [ (relationItem "t" "f" "on").Replace("7.jpg", "8.jpg") ])
            throwsData run [ "item 0"; "image not found"; Path.Combine("images", "8.jpg") ]
            File.Delete relations
            File.WriteAllText(attributions, array [ vgItem "attributes" "t" "f" "[\"red\"]" ])
            throwsData run [ "visual_genome_attribution.json item 0"; "two attributes" ]
        }
    ]
