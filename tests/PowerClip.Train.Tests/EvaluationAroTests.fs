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

let private vgItem (relation: string) (t: string) (f: string) (group: string) =
    $"""{{"image_id": "7", "image_path": "7.jpg", "bbox_x": 2, "bbox_y": 1, "bbox_w": 5, "bbox_h": 3, "true_caption": {str t}, "false_caption": {str f}, {relation}: {group}}}"""

/// A pair scorer from a function of (image, caption).
let private scorer (f: string -> string -> float) =
    { new IPairScorer with
        member _.Name = "test"
        member _.Score(pairs) = pairs |> Seq.map (fun struct (i, c) -> f i c) |> Seq.toArray }

let private words (s: string) = s.Split(' ') |> Array.sort

[<Tests>]
let tests =
    testList "evaluation ARO" [
        test "VG-Relation: images under images/, cropped to the box; macro over relations without the symmetric ones" {
            use dir = new TempDir()
            File.WriteAllBytes(Path.Combine(folder dir "images", "7.jpg"), ImageLoader.EncodePng(gradient 20 10))
            let items = [ vgItem "\"relation_name\"" "t" "f" (str "wearing"); vgItem "\"relation_name\"" "f" "t" (str "wearing")
                          vgItem "\"relation_name\"" "t" "f" (str "next to"); vgItem "\"relation_name\"" "t" "f" (str "on") ]
            File.WriteAllText(dir.File "visual_genome_relation.json", "[" + String.concat ", " items + "]")
            let enc = FakeEncoder(vectors [ "7.jpg#crop=2,1,7,4", e 0 ], vectors [ "t", e 0; "f", e 1 ])
            let r = AroBenchmark.Run(enc, dir.Path)
            let t = r.Tests["visual_genome_relation"]
            expectProportion t.Micro 3 4 "micro: every item once"
            Expect.equal t.Macro (Nullable 0.75) "macro: wearing 1/2 and on 1/1; 'next to' is symmetric and left out"
            Expect.equal t.MacroGroups 2 "two relations averaged"
            Expect.equal (List.ofSeq (nonNull t.Groups).Keys) [ "next to"; "on"; "wearing" ] "per-relation accuracies kept"
            Expect.equal (set enc.ImagesSeen) (set [ Path.Combine(dir.Path, "images", "7.jpg") + "#crop=2,1,7,4" ]) "the box (x, y, x + w, y + h)"
            let lines = r.Lines() |> Seq.map (fun l -> l.Metric) |> List.ofSeq
            Expect.equal lines [ "visual_genome_relation: macro accuracy (official)"; "visual_genome_relation: micro accuracy" ] "macro first, micro second"
            Expect.equal AroMacro.SymmetricRelations.Count 157 "the notebook's list"
        }
        test "the crop is PIL's: exact pixels, half-to-even rounding, black outside the image" {
            let img = gradient 6 5
            let c = BenchmarkImage.Crop(img, CropBox.FromXywh(2.5, 1.0, 2.0, 3.5), "t")
            Expect.equal (c.Width, c.Height) (2, 3) "box (2, 1, 4, 4): round(2.5) = 2 and round(4.5) = 4 (half to even)"
            Expect.equal c.Pixels[0..2] img.Pixels[3 * (1 * 6 + 2) .. 3 * (1 * 6 + 2) + 2] "top-left = source (2, 1)"
            let outside = BenchmarkImage.Crop(img, CropBox(4, 3, 8, 6), "t")
            Expect.equal outside.Pixels[3 * (0 * 4 + 1) .. 3 * (0 * 4 + 1) + 2] img.Pixels[3 * (3 * 6 + 5) .. 3 * (3 * 6 + 5) + 2] "inside part copied"
            Expect.equal outside.Pixels[3 * (0 * 4 + 2) .. 3 * (0 * 4 + 2) + 2] [| 0uy; 0uy; 0uy |] "right of the image: black"
            Expect.equal outside.Pixels[3 * (2 * 4) .. 3 * (2 * 4) + 2] [| 0uy; 0uy; 0uy |] "below the image: black"
        }
        test "VG-Attribution: macro over attribute pairs with at least 25 items" {
            use dir = new TempDir()
            image (Path.Combine(dir.Path, "images", "7.jpg"))
            let pair a b = $"[{str a}, {str b}]"
            let items = List.replicate 25 (vgItem "\"attributes\"" "t" "f" (pair "white" "black")) @ List.replicate 3 (vgItem "\"attributes\"" "f" "t" (pair "red" "blue"))
            File.WriteAllText(dir.File "visual_genome_attribution.json", "[" + String.concat ", " items + "]")
            let r = AroBenchmark.Run(FakeEncoder(vectors [ "7.jpg#crop=2,1,7,4", e 0 ], vectors [ "t", e 0; "f", e 1 ]), dir.Path)
            let t = r.Tests["visual_genome_attribution"]
            Expect.equal (t.Macro, t.MacroGroups) (Nullable 1.0, 1) "red_blue has 3 < 25 items: left out"
            expectProportion t.Micro 25 28 "micro counts them"
            expectProportion (nonNull t.Groups).["red_blue"] 0 3 "group key attributes[0]_attributes[1]"
        }
        test "pre_caption and the four perturbations: exact cleaning; each perturbation moves only what it should; seeded" {
            Expect.equal (OrderPerturbations.PreCaption "A Dog; sits (on)  the  chair!!\n") "a dog sits on the chair" "BLIP's pre_caption"
            Expect.equal (OrderPerturbations.PreCaption("one two three four", 2)) "one two" "max words"
            let c = "a small dog and a big cat sit on the green grass"
            let nouns (s: string) = s.Split(' ') |> Array.indexed |> Array.filter (fun (i, _) -> List.contains i [ 2; 6; 11 ]) |> Array.map snd
            for seed in 0 .. 20 do
                let p = OrderPerturbations.ShuffleNounsAndAdjectives(c, Random seed)
                Expect.equal (words p) (words c) "same words"
                for i in [ 0; 3; 4; 7; 8; 9 ] do Expect.equal (p.Split(' ').[i]) (c.Split(' ').[i]) $"token {i} (not noun/adjective) stays"
                Expect.equal (Array.sort (nouns p)) (Array.sort (nouns c)) "nouns stay on noun positions"
                let q = OrderPerturbations.ShuffleAllButNounsAndAdjectives(c, Random seed)
                for i in [ 1; 2; 5; 6; 10; 11 ] do Expect.equal (q.Split(' ').[i]) (c.Split(' ').[i]) $"noun/adjective {i} stays"
                let w = OrderPerturbations.ShuffleWithinTrigrams(c, Random seed).Split(' ')
                for g in 0 .. 3 do Expect.equal (Array.sort w[3 * g .. 3 * g + 2]) (Array.sort (c.Split(' ').[3 * g .. 3 * g + 2])) $"trigram {g} keeps its words"
                let t = OrderPerturbations.ShuffleTrigrams(c, Random seed).Split(' ') |> Array.chunkBySize 3 |> Array.map (String.concat " ")
                Expect.equal (Array.sort t) (Array.sort (c.Split(' ') |> Array.chunkBySize 3 |> Array.map (String.concat " "))) "trigrams move whole"
                Expect.equal (OrderPerturbations.Apply(0, c, Random seed)) p "same seed, same perturbation"
            let outputs = set [ for seed in 0 .. 20 -> OrderPerturbations.ShuffleTrigrams(c, Random seed) ]
            Expect.isGreaterThan outputs.Count 5 "the seed matters"
            Expect.notEqual (AroOrder.Seed(0, 1, 2, 3)) (AroOrder.Seed(0, 1, 3, 2)) "seed mixes item, caption and perturbation"
        }
        test "COCO-Order: five options per caption, the true one first; a tie favours it (argmax picks the first)" {
            use dir = new TempDir()
            image (Path.Combine(dir.Path, "val2014", "COCO_val2014_000000000042.jpg"))
            File.WriteAllText(dir.File "coco_karpathy_test.json",
                """[{"image": "val2014/COCO_val2014_000000000042.jpg", "caption": ["A man riding a brown horse.", "Two dogs on a beach!"], "image_id": "42"}]""")
            let cases = AroOrder.Cases(dir.File "coco_karpathy_test.json", 0)
            Expect.equal cases.Count 2 "one case per caption"
            let struct (image0, options0) = cases[0]
            let struct (_, options1) = cases[1]
            Expect.equal image0 (Path.Combine(dir.Path, "val2014", "COCO_val2014_000000000042.jpg")) "image relative to the file's folder"
            Expect.equal options0[0] "a man riding a brown horse" "option 0 = pre_caption(caption)"
            Expect.equal options1.Length 5 "four perturbations"
            let r = AroBenchmark.Run(scorer (fun _ _ -> 1.0), dir.Path)
            expectProportion r.Tests["coco_order"].Micro 2 2 "constant score: every option ties, the true caption wins"
            let truths = set [ "a man riding a brown horse"; "two dogs on a beach" ]
            let r2 = AroBenchmark.Run(scorer (fun _ c -> if truths.Contains c then 0.0 else float c.Length), dir.Path, 0)
            expectProportion r2.Tests["coco_order"].Micro 0 2 "every perturbed caption outscores the true one"
            Expect.equal (r2.Lines() |> Seq.map (fun l -> l.Metric) |> List.ofSeq) [ "coco_order: precision@1 (official)" ] "metric"
            File.WriteAllText(dir.File "coco_karpathy_test.json", """[{"image": "val2014/nope.jpg", "caption": ["x"]}]""")
            throwsData (fun () -> AroOrder.Cases(dir.File "coco_karpathy_test.json", 0)) [ "coco_karpathy_test.json item 0"; "image not found" ]
        }
        test "bad ARO files: one-line errors naming the file and the item" {
            use dir = new TempDir()
            image (Path.Combine(dir.Path, "images", "7.jpg"))
            let enc = FakeEncoder(vectors [], vectors [])
            File.WriteAllText(dir.File "visual_genome_relation.json", """[{"image_path": "7.jpg", "true_caption": "t", "false_caption": "f", "relation_name": "on"}]""")
            throwsData (fun () -> AroBenchmark.Run(enc, dir.Path)) [ "visual_genome_relation.json item 0"; "missing field 'bbox_x'" ]
            File.WriteAllText(dir.File "visual_genome_relation.json", "[" + vgItem "\"relation_name\"" "t" "f" "3" + "]")
            throwsData (fun () -> AroBenchmark.Run(enc, dir.Path)) [ "item 0"; "'relation_name' is not a string" ]
            File.WriteAllText(dir.File "visual_genome_relation.json", "[" + (vgItem "\"relation_name\"" "t" "f" (str "on")).Replace("7.jpg", "8.jpg") + "]")
            throwsData (fun () -> AroBenchmark.Run(enc, dir.Path)) [ "item 0"; "image not found"; Path.Combine("images", "8.jpg") ]
            File.Delete(dir.File "visual_genome_relation.json")
            File.WriteAllText(dir.File "visual_genome_attribution.json", "[" + vgItem "\"attributes\"" "t" "f" "[\"red\"]" + "]")
            throwsData (fun () -> AroBenchmark.Run(enc, dir.Path)) [ "visual_genome_attribution.json item 0"; "two attributes" ]
        }
    ]
