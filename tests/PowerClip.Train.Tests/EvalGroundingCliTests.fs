/// `powerclip eval grounding` end to end, and grounding accuracy's S1 against `powerclip ground`'s, on the tiny
/// checkpoint and export the eval tests share (EvalModel).
module PowerClip.Train.Tests.EvalGroundingCliTests

open Expecto
open TorchSharp
open PowerClip.Train.Evaluation
open PowerClip.Train.Models
open PowerClip.Train.Tests.CliRunner
open PowerClip.Train.Tests.EvaluationTests
open PowerClip.Train.Tests.EvalModel

[<Tests>]
let tests =
    testSequenced <| testList "eval grounding" [
        test "grounding accuracy sees the S1 that ground shows: the same values for a phrase of the caption's tree" {
            use model = TrainedModel.Load(runDir.Value, torch.CPU)
            let item = GroundingFile.Read(bench "grounding") |> Seq.find (fun i -> i.Phrases.Count > 1)
            let leaves = item.Phrases |> Seq.map (fun p -> p.Leaves) |> Seq.toArray
            let query = GroundingQuery(item.Image, item.Caption, item.Tree, leaves)
            let s1 = ModelPhraseSimilarity(model, 3).Similarities([| query |])[0]
            let image = ModelEncoder(model).LoadImage(item.Image)
            let shown = Grounding.Compute(model, image, item.Caption)
            let mutable compared = 0
            for p in 0 .. item.Phrases.Count - 1 do
                let same (g: PhraseGrounding) = List.ofArray g.Leaves = List.ofArray item.Phrases[p].Leaves
                match s1[p], shown.Phrases |> Seq.tryFind same with
                | null, _ | _, None -> ()
                | mine, Some g ->
                    compared <- compared + 1
                    for m in 0 .. mine.Length - 1 do
                        // float32 sums over the embedding in another order (einsum vs matmul): a few ulps
                        let f32 = { absolute = 1e-6; relative = 1e-5 }
                        Expect.floatClose f32 (float mine[m]) (float g.Similarity[m]) $"'{g.Text}' patch {m}"
            Expect.isGreaterThan compared 0 "some phrase is a node of the caption's tree"
        }
        test "eval grounding prints pointing and IoU per phrase type and writes them with --out; bad input exits 2" {
            let out = tempFile "grounding.json"
            let r = eval "grounding" (bench "grounding") [ "--out"; out ]
            Expect.equal r.ExitCode 0 r.Err
            for part in [ "pointing: all"; "IoU: all"; "phrases" ] do Expect.stringContains r.Out part "the table"
            let json = readJson out
            let all = at json [ "types"; "all" ]
            Expect.isGreaterThan ((at all [ "n" ]).GetValue<int>()) 0 "phrases scored"
            let iou = (at all [ "mean_iou" ]).GetValue<float>()
            Expect.isTrue (iou >= 0.0 && iou <= 1.0) "an IoU"
            expectUsageError (eval "grounding" (tempFile "none") []) "--data: folder not found"
            expectUsageError (eval "grounding" (bench "sugarcrepe") []) "grounding.json"
        }
    ]
