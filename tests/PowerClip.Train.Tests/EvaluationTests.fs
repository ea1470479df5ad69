/// The benchmark readers and scoring on hand-built folders with a fake encoder, so every expected number is known.
module PowerClip.Train.Tests.EvaluationTests

open System
open System.Collections.Generic
open System.IO
open System.Text.Json.Nodes
open Expecto
open PowerClip.Data
open PowerClip.Train.Evaluation
open PowerClip.Train.Tests.DataTestFiles
open PowerClip.Train.Tests.EvaluationFixtures

/// The node at a path of object keys; a missing key fails the test with the JSON shown.
let at (node: JsonNode) (path: string list) : JsonNode =
    path
    |> List.fold (fun (n: JsonNode) (k: string) ->
        match n[k] with
        | null -> failwith $"missing '{k}' in {n.ToJsonString()}"
        | v -> v) node

let private sugarItem (id: string) (file: string) (caption: string) (negative: string) =
    $"{str id}: {{\"filename\": {str file}, \"caption\": {str caption}, \"negative_caption\": {str negative}}}"

let private writeObject (path: string) (members: string list) =
    File.WriteAllText(path, "{" + String.concat ", " members + "}")

let private throwsData (f: unit -> 'a) (mention: string) = EvaluationFixtures.throwsData f [ mention ]

[<Tests>]
let tests =
    testList "evaluation" [
        test "SugarCrepe: accuracy per category counts true > negative; identical captions tie and score 0" {
            use dir = new TempDir()
            for i in 0 .. 2 do image (Path.Combine(dir.Path, "images", $"{i}.png"))
            writeObject (dir.File "replace_att.json")
                [ sugarItem "a" "0.png" "t0" "f0"; sugarItem "b" "1.png" "t1" "f1"; sugarItem "c" "2.png" "t2" "f2" ]
            writeObject (dir.File "swap_obj.json") [ sugarItem "a" "0.png" "t0" "t0"; sugarItem "b" "1.png" "t1" "t1" ]
            // image i = e_i; t_i = e_i except t2, which points away; f_i = −e_i except f2 = e_2
            let enc = FakeEncoder(vectors [ "0.png", e 0; "1.png", e 1; "2.png", e 2 ],
                                  vectors [ "t0", e 0; "t1", e 1; "t2", neg (e 2); "f0", neg (e 0); "f1", neg (e 1);
                                            "f2", e 2 ])
            let r = SugarCrepeBenchmark.Run(enc, dir.Path)
            expectProportion r.Categories["replace_att"] 2 3 "2 of 3"
            expectProportion r.Categories["swap_obj"] 0 2 "ties are misses"
            Expect.equal enc.ImageCalls 3 "each image encoded once across categories"
            Expect.equal (r.Accuracies() |> Seq.map (fun kv -> kv.Key, kv.Value) |> List.ofSeq)
                [ "replace_att", 2.0 / 3.0; "swap_obj", 0.0 ] "{category: accuracy}"
            let p = r.Categories["replace_att"]
            Expect.isTrue (p.Ci95Low < p.Accuracy && p.Accuracy < p.Ci95High) "the Wilson interval holds the estimate"
        }
        test "Winoground: text, image and group scores, overall and per tag" {
            use dir = new TempDir()
            for n in [ "a0"; "a1"; "b0"; "b1" ] do image (Path.Combine(dir.Path, "images", n + ".png"))
            let line (i0: string) (i1: string) (c0: string) (c1: string) (tag: string) =
                $"""{{"image_0": "{i0}", "image_1": "{i1}", "caption_0": "{c0}", """
                + $"\"caption_1\": \"{c1}\", \"tag\": \"{tag}\"}}"
            File.WriteAllLines(dir.File "examples.jsonl", [ line "a0" "a1" "x0" "x1" "Object"; "";
                                                            line "b0" "b1" "y0" "y1" "Relation" ])
            // item a: a perfect model; item b: both images embed alike, so no caption preference can hold both ways
            let enc = FakeEncoder(vectors [ "a0.png", e 0; "a1.png", e 1; "b0.png", e 2; "b1.png", e 2 ],
                                  vectors [ "x0", e 0; "x1", e 1; "y0", e 2; "y1", e 3 ])
            let r = WinogroundBenchmark.Run(enc, dir.Path)
            expectProportion r.All.Text 1 2 "text"
            expectProportion r.All.Image 1 2 "image"
            expectProportion r.All.Group 1 2 "group"
            expectProportion r.ByTag["Relation"].Text 0 1 "identical images: text score 0"
            expectProportion r.ByTag["Object"].Group 1 1 "perfect item"
        }
        test "zero-shot: the template ensemble's mean direction decides, top-k and held-out classes" {
            use dir = new TempDir()
            File.WriteAllLines(dir.File "classnames.txt", [ "red"; "blue" ])
            File.WriteAllLines(dir.File "zeroshot_classification_templates.txt", [ "a {c}."; "an {c}." ])
            File.WriteAllLines(dir.File "heldout_classes.txt", [ "blue" ])
            image (Path.Combine(dir.Path, "test", "0", "x.png"))
            image (Path.Combine(dir.Path, "test", "1", "y.png"))
            let s = float32 (1.0 / sqrt 2.0)
            // the ensembles are red = e0 and blue = e1; "a blue." alone would pull x towards blue
            let texts = vectors [ "a red.", [| s; s; 0f; 0f |]; "an red.", [| s; -s; 0f; 0f |];
                                  "a blue.", [| 0f; s; s; 0f |]; "an blue.", [| 0f; s; -s; 0f |] ]
            let enc = FakeEncoder(vectors [ "x.png", [| 0.5f; 0.45f; 0.8f; 0f |]; "y.png", [| 1f; 0.2f; 0f; 0f |] ],
                                  texts)
            let r = ZeroShotBenchmark.Run(enc, dir.Path)
            expectProportion r.Top1 1 2 "x right (by the ensemble), y wrong"
            Expect.isNull r.Top5 "no top-5 with fewer than 5 classes (CLIP_benchmark reports NaN)"
            expectProportion (nonNull r.HeldOutTop1) 0 1 "blue is held out and missed"
            Expect.equal (r.Classes, r.Images, r.Templates) (2, 2, 2) "counts"
            Expect.equal (r.MeanPerClassRecall, r.RecallClasses) (0.5, 2) "red 1/1, blue 0/1"
        }
        test "retrieval: R@k both directions on the test split; ties count against the query" {
            use dir = new TempDir()
            for i in 0 .. 3 do image (Path.Combine(dir.Path, "images", $"{i}.png"))
            let entry (i: int) (split: string) (captions: string list) =
                let sentences = captions |> List.map (fun c -> $"{{\"raw\": {str c}}}") |> String.concat ", "
                $"{{\"filepath\": \"images\", \"filename\": \"{i}.png\", \"split\": {str split}, \"sentences\": \
                    [{sentences}]}}"
            let images = [ entry 0 "test" [ "0a"; "0b" ]; entry 1 "test" [ "1a"; "1b" ]; entry 2 "test" [ "2a"; "2b" ];
                           entry 3 "train" [ "3a" ] ]
            writeObject (dir.File "dataset_toy.json") [ "\"images\": [" + String.concat ", " images + "]" ]
            // caption 1b describes image 2, and ties with 2a and 2b for image 2
            let enc = FakeEncoder(vectors [ "0.png", e 0; "1.png", e 1; "2.png", e 2; "3.png", e 3 ],
                                  vectors [ "0a", e 0; "0b", e 0; "1a", e 1; "1b", e 2; "2a", e 2; "2b", e 2 ])
            let r = RetrievalBenchmark.Run(enc, dir.Path)
            Expect.equal (r.Images, r.Captions) (3, 6) "the train image is left out"
            expectProportion r.ImageToText.R1 2 3 "image 0's two identical captions do not push each other out; image \
                2's tie with 1b"
            expectProportion r.ImageToText.R5 3 3 "i2t R@5"
            expectProportion r.TextToImage.R1 5 6 "1b finds image 2"
            expectProportion r.TextToImage.R10 6 6 "t2i R@10"
        }
        test "the suite runs what an export folder holds; results serialize with counts and intervals" {
            use dir = new TempDir()
            let sc = Path.Combine(dir.Path, "sugarcrepe")
            image (Path.Combine(sc, "images", "0.png"))
            writeObject (Path.Combine(sc, "add_att.json")) [ sugarItem "a" "0.png" "t" "f" ]
            let enc = FakeEncoder(vectors [ "0.png", e 0 ], vectors [ "t", e 0; "f", e 1 ])
            let r = BenchmarkSuite.Run(enc, dir.Path)
            Expect.isNull r.Zeroshot "no zero-shot folder"
            Expect.equal (r.All() |> Seq.map (fun b -> b.Benchmark) |> List.ofSeq) [ "sugarcrepe" ] "only SugarCrepe"
            let json = nonNull (JsonNode.Parse(ResultJson.Serialize r))
            let p = at json [ "sugarcrepe"; "categories"; "add_att" ]
            for k in [ "correct"; "total"; "ci95_low"; "ci95_high" ] do at p [ k ] |> ignore
            Expect.equal ((at p [ "accuracy" ]).GetValue<float>()) 1.0 "1 of 1"
            Expect.isNull (json.AsObject()["zeroshot"]) "absent benchmarks are left out"
            throwsData (fun () -> BenchmarkSuite.Run(enc, sc)) "no benchmark found"
        }
        test "bad benchmark folders are data errors naming the file and the item" {
            use dir = new TempDir()
            let enc = FakeEncoder(vectors [], vectors [])
            throwsData (fun () -> SugarCrepeBenchmark.Run(enc, dir.File "nope")) "benchmark folder not found"
            throwsData (fun () -> SugarCrepeBenchmark.Run(enc, dir.Path)) "no category JSON files"
            File.WriteAllText(dir.File "add_att.json", "{ \"a\": ")
            throwsData (fun () -> SugarCrepeBenchmark.Run(enc, dir.Path)) "add_att.json: malformed JSON"
            File.WriteAllText(dir.File "add_att.json", """{ "a": { "filename": "0.png", "caption": "c" } }""")
            throwsData (fun () -> SugarCrepeBenchmark.Run(enc, dir.Path)) "image not found"
            image (Path.Combine(dir.Path, "images", "0.png"))
            throwsData (fun () -> SugarCrepeBenchmark.Run(enc, dir.Path)) "item 'a': missing field 'negative_caption'"
            File.WriteAllText(dir.File "examples.jsonl", "{\"image_0\": 3}")
            throwsData (fun () -> WinogroundBenchmark.Run(enc, dir.Path)) "field 'image_0' is not a string"
            File.WriteAllText(dir.File "classnames.txt", "red")
            throwsData (fun () -> ZeroShotBenchmark.Run(enc, dir.Path)) "test"
            File.WriteAllText(dir.File "visual_genome_relation.json", "{}")
            throwsData (fun () -> AroBenchmark.Run(enc, dir.Path)) "visual_genome_relation.json: expected a JSON array"
        }
    ]
