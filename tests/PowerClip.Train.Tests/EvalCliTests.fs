/// `powerclip eval` and `powerclip ground` end to end on a tiny checkpoint trained here and a tiny benchmark export.
module PowerClip.Train.Tests.EvalCliTests

open System
open System.IO
open System.Text.Json.Nodes
open Expecto
open TorchSharp
open PowerClip.Model
open PowerClip.Data
open PowerClip.Train.Evaluation
open PowerClip.Train.Models
open PowerClip.Train.Training
open PowerClip.Train.Tests.CliRunner
open PowerClip.Train.Tests.EvaluationTests
open PowerClip.Train.Tests.EvalModel

let private sugarcrepeAccuracy (model: TrainedModel) (dir: string) (category: string) =
    (SugarCrepeBenchmark.Run(ModelEncoder(model, 5), dir)).Categories[category]

[<Tests>]
let tests =
    testSequenced <| testList "eval and ground" [
        test "eval sugarcrepe --out writes exactly {category: accuracy}, the same at any batch size" {
            let out = tempFile "sc.json"
            let r = eval "sugarcrepe" (bench "sugarcrepe") [ "--out"; out ]
            Expect.equal r.ExitCode 0 r.Err
            Expect.stringContains r.Out "replace_att" "the table"
            let json = (readJson out).AsObject()
            let categories =
                Directory.GetFiles(bench "sugarcrepe", "*.json")
                |> Array.map (fun (f: string) -> nonNull (Path.GetFileNameWithoutExtension f))
                |> Array.sort |> List.ofArray
            Expect.equal (json |> Seq.map (fun kv -> kv.Key) |> List.ofSeq) categories "one key per category file"
            use model = TrainedModel.Load(runDir.Value, torch.CPU)
            let inProcess = SugarCrepeBenchmark.Run(ModelEncoder(model, 3), bench "sugarcrepe").Accuracies()
            for kv in json do
                let v = (nonNull kv.Value).GetValue<float>()
                Expect.isTrue (v >= 0.0 && v <= 1.0) $"{kv.Key}: an accuracy"
                Expect.equal v inProcess[kv.Key] $"{kv.Key}: batch size 7 (CLI) and 3 agree"
        }
        test "with the real model: identical captions score 0, and swapping caption and negative gives 1 − accuracy" {
            use model = TrainedModel.Load(runDir.Value, torch.CPU)
            let dir = tempFile "sc"
            copyDir (bench "sugarcrepe") dir
            let file = Path.Combine(dir, "replace_att.json")
            let original = (readJson file).AsObject()
            let rewrite (f: JsonNode -> string * string) =
                let o = JsonObject()
                for kv in original do
                    let v = nonNull kv.Value
                    let c, n = f v
                    let filename = JsonValue.Create((at v [ "filename" ]).GetValue<string>()) :> JsonNode | null
                    o[kv.Key] <- JsonObject(dict [ "filename", filename
                                                   "caption", JsonValue.Create c
                                                   "negative_caption", JsonValue.Create n ])
                File.WriteAllText(file, o.ToJsonString())
            let text (v: JsonNode) (k: string) = (at v [ k ]).GetValue<string>()
            let before = sugarcrepeAccuracy model dir "replace_att"
            rewrite (fun v -> text v "negative_caption", text v "caption")
            let swapped = sugarcrepeAccuracy model dir "replace_att"
            Expect.equal swapped.Total before.Total "same items"
            Expect.equal (before.Correct + swapped.Correct) before.Total
                "every item flips (no ties between different captions)"
            rewrite (fun v -> text v "caption", text v "caption")
            Expect.equal (sugarcrepeAccuracy model dir "replace_att").Correct 0 "identical captions tie: no hits"
        }
        test "eval zeroshot, retrieval, winoground and aro print a table and write JSON naming each number's score" {
            let shapes =
                [ "zeroshot", [ [ "top1"; "accuracy" ]; [ "top5"; "ci95_high" ]; [ "held_out_top1"; "total" ]
                                [ "mean_per_class_recall" ] ]
                  "retrieval", [ [ "image_to_text"; "r1"; "accuracy" ]; [ "image_to_text"; "r10"; "correct" ];
                                 [ "text_to_image"; "r5"; "total" ] ]
                  "winoground", [ [ "all"; "text"; "accuracy" ]; [ "all"; "group"; "total" ]; [ "by_tag" ] ]
                  "aro", [ [ "tests"; "visual_genome_relation"; "micro"; "accuracy" ]
                           [ "tests"; "visual_genome_relation"; "groups" ]
                           [ "tests"; "visual_genome_attribution"; "micro"; "total" ] ] ]
            for name, paths in shapes do
                let out = tempFile $"{name}.json"
                let r = eval name (bench name) [ "--out"; out ]
                Expect.equal r.ExitCode 0 $"{name}: {r.Err}"
                Expect.stringContains r.Out name $"{name}: table"
                let json = readJson out
                let text (path: string list) = (at json path).GetValue<string>()
                Expect.equal (text [ "protocol_default" ]) "cosine" "the protocol default is stated"
                Expect.equal (text [ "scores"; "cosine" ]) BenchmarkSuite.GlobalCosine "each score named"
                Expect.equal (text [ "benchmark" ], text [ "objective" ]) (name, "powerclip") "what and whose"
                for p in paths do at json ([ "results"; "cosine" ] @ p) |> ignore
                if name = "retrieval" then
                    let res = at json [ "results"; "cosine" ]
                    let n (k: string) = (at res [ k ]).GetValue<int>()
                    Expect.equal (n "images", n "captions") (12, 24) "12 images × 2 captions"
        }
        test "eval all runs every benchmark of an export folder" {
            let out = tempFile "all.json"
            let r = eval "all" export.Value [ "--out"; out ]
            Expect.equal r.ExitCode 0 r.Err
            let json = readJson out
            for b in BenchmarkSuite.Names do at json [ "results"; "cosine"; b ] |> ignore
            let scoring = (at json [ "results"; "cosine"; "scoring" ]).GetValue<string>()
            Expect.equal scoring BenchmarkSuite.GlobalCosine "says how it scored"
            for b in BenchmarkSuite.Names do Expect.stringContains r.Out b $"{b} in the table"
        }
        test "--score own: the cosine and the objective's own score (S̄ for PowerCLIP), both recorded; typos exit 2" {
            let out = tempFile "own.json"
            let r = eval "retrieval" (bench "retrieval") [ "--score"; "own"; "--out"; out ]
            Expect.equal r.ExitCode 0 r.Err
            let json = readJson out
            let ids = (at json [ "scores" ]).AsObject() |> Seq.map (fun kv -> kv.Key) |> List.ofSeq
            Expect.equal ids [ "cosine"; "powerclip" ] "both, cosine first"
            Expect.equal ((at json [ "scores"; "powerclip" ]).GetValue<string>()) PowerClipScorer.ScoreName "S̄ named"
            for s in [ "cosine"; "powerclip" ] do at json [ "results"; s; "image_to_text"; "r1"; "total" ] |> ignore
            Expect.stringContains r.Out PowerClipScorer.ScoreName "the table says which score"
            let typo = eval "retrieval" (bench "retrieval") [ "--score"; "cosine,bogus" ]
            expectUsageError typo "--score: unknown score 'bogus'"
        }
        test "bad input: missing folder, malformed JSON, missing checkpoint are one-line errors with exit code 2" {
            expectUsageError (eval "sugarcrepe" (tempFile "nope") []) "--data: folder not found"
            let dir = tempFile "sc"
            copyDir (bench "sugarcrepe") dir
            File.WriteAllText(Path.Combine(dir, "swap_obj.json"), "{ \"0\": { \"filename\": ")
            expectUsageError (eval "sugarcrepe" dir []) "swap_obj.json: malformed JSON"
            expectUsageError (run [ "eval"; "aro"; "--data"; bench "aro"; "--checkpoint"; tempFile "none" ])
                "--checkpoint: no checkpoint at"
            expectUsageError (eval "all" (Path.Combine(export.Value, "aro", "images")) []) "no benchmark found"
            expectUsageError (eval "zeroshot" (bench "zeroshot") [ "--batch-size"; "0" ]) "--batch-size"
        }
        test "--score powerclip: S̄ equals the training loss's score with one region per patch" {
            use model = TrainedModel.Load(runDir.Value, torch.CPU)
            let paths = Directory.GetFiles(Path.Combine(bench "sugarcrepe", "images")) |> Array.sort |> Array.take 2
            let captions = [| "a red circle is left of a blue square"; "a small green star" |]
            let pairs = [| for p in paths do for c in captions do struct (p, c) |]
            let scores = PowerClipScorer(model, 1).Score(pairs)
            let vision = model.Model.Config.Vision
            let n = int64 (vision.GridSize * vision.GridSize)
            let loss = PowerClipLoss(model.Config.LossSettings.PowerClip)
            for k in 0 .. pairs.Length - 1 do
                let struct (path, caption) = pairs[k]
                use scope = torch.NewDisposeScope()
                use _ = torch.no_grad()
                let struct (pixels, _) = ImageTransform(vision.ImageSize, vision.PatchSize)
                                             .Apply(nonNull (ImageLoader().Load(path).Image), null)
                let prepared = TreeAlignment.Prepare(caption, model.Tokenizer)
                let images = torch.tensor(pixels, dtype = torch.float32).reshape(1L, 3L, int64 vision.ImageSize,
                                                                                 int64 vision.ImageSize)
                let tokens = torch.tensor(prepared.Tokens.Ids |> Array.map int64, dtype = torch.int64).reshape(1L, -1L)
                let o = model.Model.Forward(images, tokens)
                let phi = RegionPooling.Embed(o.PatchTokens, torch.eye(n).unsqueeze(0L))
                use phrases = PhraseBatch.Build([| CaptionTree(prepared.Loss.LeafSpans, prepared.Loss.Nodes) |],
                                                prepared.Tokens.Ids.Length)
                let expected = loss.Scores(phi, phrases.LeafEmbeddings(o.TokenFeatures), phrases).ToDouble()
                Expect.floatClose Accuracy.medium scores[k] expected $"pair {k}"
            let out = tempFile "scp.json"
            let r = eval "sugarcrepe" (bench "sugarcrepe") [ "--score"; "powerclip"; "--out"; out ]
            Expect.equal r.ExitCode 0 r.Err
            Expect.stringContains r.Out PowerClipScorer.ScoreName "says how it scored"
            Expect.equal ((at (readJson out) [ "results"; "powerclip"; "categories" ]).AsObject().Count)
                (Directory.GetFiles(bench "sugarcrepe", "*.json").Length)
                "per category under the score's id (not SugarCrepe's own file: not SugarCrepe's protocol)"
            // JSON files in one folder, images in another (the real SugarCrepe: COCO val2017)
            let jsons = tempFile "json"
            Directory.CreateDirectory jsons |> ignore
            for f in Directory.GetFiles(bench "sugarcrepe", "*.json") do
                File.Copy(f, Path.Combine(jsons, nonNull (Path.GetFileName f)))
            expectUsageError (eval "sugarcrepe" jsons []) "image not found"
            let moved = eval "sugarcrepe" jsons [ "--images"; Path.Combine(bench "sugarcrepe", "images"); "--out";
                                                  tempFile "m.json" ]
            Expect.equal moved.ExitCode 0 moved.Err
        }
        test "the model encoder: unit embeddings, independent of the batch size" {
            use model = TrainedModel.Load(runDir.Value, torch.CPU)
            let paths = Directory.GetFiles(Path.Combine(bench "sugarcrepe", "images")) |> Array.sort |> Array.take 5
            let a = ModelEncoder(model, 2).EncodeImages(paths)
            let b = ModelEncoder(model, 5).EncodeImages(paths)
            for i in 0 .. 4 do
                Expect.floatClose Accuracy.medium (EncoderExtensions.Cosine(a[i], b[i])) 1.0 "same embedding"
                Expect.floatClose Accuracy.medium (a[i] |> Array.sumBy (fun x -> float x * float x)) 1.0 "unit norm"
            let t = ModelEncoder(model, 1).EncodeTexts([| "a red circle"; "a blue square" |])
            Expect.isLessThan (EncoderExtensions.Cosine(t[0], t[1])) 0.999999 "different captions, different embeddings"
        }
        test "grounding: one phrase per tree node; the weights are NLA-T1's derivative; the PNG shows them" {
            use model = TrainedModel.Load(runDir.Value, torch.CPU)
            let firstImage = Directory.GetFiles(Path.Combine(bench "sugarcrepe", "images")) |> Array.sort |> Array.head
            let image = nonNull (ImageLoader().Load(firstImage).Image)
            let caption = "a red circle is left of a blue square"
            let tau = 0.05
            let struct (png, r) = Grounding.Render(model, image, caption, tau, 64)
            let loss = TreeAlignment.Prepare(caption, model.Tokenizer).Loss
            Expect.equal r.Phrases.Count loss.Nodes.Length "one panel per node"
            Expect.equal r.Phrases[0].Text caption "the root first"
            Expect.contains (r.Phrases |> Seq.map (fun p -> p.Text)) "a blue square" "a noun phrase"
            let t, m = r.Phrases.Count, r.GridSize * r.GridSize
            // ∂/∂S1 of NLA-T1 = mean_B Σ_m sp_τ(S1[m,B]) is σ(S1/τ)/|𝒯|
            let values: float[] = Array.init (m * t) (fun i -> float r.Phrases[i % t].Similarity[i / t])
            let s1 = torch.tensor(values, dtype = torch.float64).reshape(1L, 1L, int64 m,
                                                                         int64 t).detach().requires_grad_(true)
            let nla = PowerClipScores.NlaT1(s1, torch.ones([| 1L; int64 t |], dtype = torch.ScalarType.Bool), tau)
            nla.sum().backward()
            let grad = (nonNull s1.grad).data<float>().ToArray()
            for i in 0 .. m * t - 1 do
                Expect.floatClose Accuracy.medium (float r.Phrases[i % t].Weights[i / t]) (grad[i] * float t)
                    $"weight {i}"
            let decoded = nonNull (ImageLoader().Load(png).Image)
            Expect.equal (decoded.Width, decoded.Height) ((1 + t) * 64 + t * 4, 64) "image panel + one per phrase"
            let cell = 64 / r.GridSize
            let mutable checkedCells = 0
            for k in 0 .. t - 1 do
                for c in 0 .. m - 1 do
                    let w = r.Phrases[k].Weights[c]
                    let x, y = (k + 1) * 68 + (c % r.GridSize) * cell + cell / 2, (c / r.GridSize) * cell + cell / 2
                    let red = decoded.Pixels[3 * (y * decoded.Width + x)]
                    if w > 0.99f then
                        checkedCells <- checkedCells + 1
                        Expect.isGreaterThanOrEqual red 165uy "a selected patch is bright"
                    if w < 0.01f then
                        checkedCells <- checkedCells + 1
                        Expect.isLessThanOrEqual red 90uy "an unselected patch is dark"
            Expect.isGreaterThan checkedCells 0 "some patches are clearly in or out"
        }
        test "ground writes the PNG and a JSON beside it, and lists the panels; bad input exits 2" {
            let img = Directory.GetFiles(Path.Combine(bench "sugarcrepe", "images")) |> Array.sort |> Array.head
            let out = tempFile "g.png"
            let r = run [ "ground"; "--checkpoint"; runDir.Value; "--image"; img; "--caption";
                          "a red circle and a blue square"; "--out"; out; "--device"; "cpu" ]
            Expect.equal r.ExitCode 0 r.Err
            let bytes = File.ReadAllBytes out
            Expect.equal bytes[0..7] [| 0x89uy; 0x50uy; 0x4Euy; 0x47uy; 0x0Duy; 0x0Auy; 0x1Auy; 0x0Auy |]
                "PNG signature"
            let json = readJson (nonNull (Path.ChangeExtension(out, ".json")))
            let phrases = (at json [ "phrases" ]).AsArray()
            let panels =
                r.Out.Split('\n')
                    |> Array.filter (fun (l: string) -> l.StartsWith "panel " && not (l.StartsWith "panel 0"))
            Expect.equal panels.Length phrases.Count "one console line per phrase panel"
            Expect.stringContains r.Out "panel 1: \"a red circle and a blue square\"" "the root phrase"
            Expect.equal ((at json [ "tau" ]).GetValue<float>()) 1e-3 "the checkpoint's τ by default"
            expectUsageError (run [ "ground"; "--checkpoint"; runDir.Value; "--image"; tempFile "no.png"; "--caption";
                                    "a dog" ]) "--image: file not found"
            expectUsageError (run [ "ground"; "--checkpoint"; tempFile "none"; "--image"; img; "--caption"; "a dog" ])
                "--checkpoint: no checkpoint at"
            expectUsageError (run [ "ground"; "--checkpoint"; runDir.Value; "--image"; img; "--caption"; "  " ])
                "--caption is empty"
        }
    ]
