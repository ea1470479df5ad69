/// Each objective's own score on the tiny checkpoint: FILIP's late interaction equals FilipObjective.Similarities,
/// SPARC's fine-grained score equals a loop over its definition, pairs and matrices and group means agree.
module PowerClip.Train.Tests.EvalScoreTests

open System
open System.IO
open Expecto
open TorchSharp
open PowerClip.Data
open PowerClip.Model
open PowerClip.Train.Evaluation
open PowerClip.Train.Models
open PowerClip.Train.Training
open PowerClip.Train.Tests.EvalModel

let private images () = Directory.GetFiles(Path.Combine(bench "sugarcrepe", "images")) |> Array.sort |> Array.take 3

let private captions = [| "a red circle is left of a blue square"; "a small green star"; "two yellow triangles" |]

/// The model's outputs for images × captions (row b: image b with caption b), as training computes them.
let private forward (model: TrainedModel) (paths: string[]) =
    let vision = model.Model.Config.Vision
    let transform = ImageTransform(vision.ImageSize, vision.PatchSize)
    let chw (p: string) = let struct (px, _) = transform.Apply(nonNull (ImageLoader().Load(p).Image), null) in px
    let size = int64 vision.ImageSize
    let imgs = torch.tensor(Array.collect chw paths, dtype = torch.float32).reshape(int64 paths.Length, 3L, size, size)
    let ids = captions |> Array.collect (fun c -> model.Tokenizer.Encode(c).Ids |> Array.map int64)
    model.Model.Forward(imgs, torch.tensor(ids, dtype = torch.int64).reshape(int64 captions.Length, -1L))

let private toArray (t: torch.Tensor) : float[] = t.``to``(torch.float64).cpu().data<float>().ToArray()

/// SPARC's pair score straight from its definition, in float64 loops.
let private sparcByHand (patches: float[][]) (tokens: float[][]) =
    let norm (v: float[]) = let n = sqrt (Array.sumBy (fun x -> x * x) v) in v |> Array.map (fun x -> x / n)
    let dot (a: float[]) (b: float[]) = Array.fold2 (fun acc x y -> acc + x * y) 0.0 a b
    let vn = patches |> Array.map norm
    let n = float patches.Length
    tokens |> Array.averageBy (fun t ->
        let tn = norm t
        let sim = vn |> Array.map (dot tn)
        let lo, hi = Array.min sim, Array.max sim
        let scaled = sim |> Array.map (fun s -> (s - lo) / max (hi - lo) 1e-12)
        let sparse = scaled |> Array.map (fun s -> if s < 1.0 / n then 0.0 else s)
        let w = sparse |> Array.map (fun s -> s / max (Array.sum sparse) 1e-12)
        let c = Array.init t.Length (fun d -> Array.fold2 (fun acc wk (v: float[]) -> acc + wk * v[d]) 0.0 w patches)
        dot (norm c) tn)

[<Tests>]
let tests =
    testSequenced <| testList "evaluation scores" [
        test "FILIP: the matrices are FilipObjective.Similarities of the model's tokens; pairs and group means agree" {
            use model = TrainedModel.Load(runDir.Value, torch.CPU)
            let paths = images ()
            use _ = torch.no_grad()
            let o = forward model paths
            let struct (i2t, t2i) = FilipObjective.Similarities(o.PatchTokens, o.TokenFeatures, o.TokenMask)
            let scorer = FilipScorer(model, 2, 1L <<< 12, ImagesPerSlice = 2)   // 3 images: two slices
            let struct (a, b) = scorer.Matrices(paths, captions)
            let (ea, eb) = toArray i2t, toArray t2i
            for i in 0 .. 2 do
                for j in 0 .. 2 do
                    Expect.floatClose Accuracy.medium (float a[i, j]) ea[3 * i + j] $"image→text [{i},{j}]"
                    Expect.floatClose Accuracy.medium (float b[i, j]) eb[3 * i + j] $"text→image [{i},{j}]"
            let gaps = seq { for i in 0 .. 2 do for j in 0 .. 2 -> abs (a[i, j] - b[i, j]) }
            Expect.isTrue (gaps |> Seq.exists (fun d -> d > 1e-4f)) "two directions differ"
            let pairs = [| for i in 0 .. 2 do for j in 0 .. 2 -> struct (paths[i], captions[j]) |]
            let byPair = (scorer :> IPairScorer).Score(pairs, ScoreDirection.TextToImage)
            for k in 0 .. 8 do
                Expect.floatClose Accuracy.medium byPair[k] (float b[k / 3, k % 3]) $"pair {k}, text→image"
            let means = (scorer :> IMatrixScorer).GroupMeans(paths, captions, 3, ScoreDirection.ImageToText)
            for i in 0 .. 2 do
                let mean = (float a[i, 0] + float a[i, 1] + float a[i, 2]) / 3.0
                Expect.floatClose Accuracy.medium (float means[i, 0]) mean $"group mean {i}"
        }
        test "SPARC: the fine-grained score equals its definition computed by hand, symmetric" {
            use model = TrainedModel.Load(runDir.Value, torch.CPU)
            let paths = images ()
            use _ = torch.no_grad()
            let o = forward model paths
            let e = int o.PatchTokens.shape[2]
            let rows (t: torch.Tensor) (count: int) = toArray t |> Array.chunkBySize e |> Array.take count
            let struct (a, b) = SparcScorer(model, 2, 1L <<< 12, ImagesPerSlice = 2).Matrices(paths, captions)
            for i in 0 .. 2 do
                for j in 0 .. 2 do
                    let valid = int (o.TokenMask[j].sum().ToInt64())
                    let patches = rows o.PatchTokens[i] (int o.PatchTokens.shape[1])
                    let expected = sparcByHand patches (rows o.TokenFeatures[j] valid)
                    Expect.floatClose Accuracy.medium (float a[i, j]) expected $"[{i},{j}]"
                    Expect.equal a[i, j] b[i, j] "symmetric"
        }
        test "S̄ as a matrix equals S̄ pair by pair; every score runs through the suite on an export" {
            use model = TrainedModel.Load(runDir.Value, torch.CPU)
            let paths = images ()
            let scorer = PowerClipScorer(model, 2, 1L <<< 12, ImagesPerSlice = 2)
            let struct (a, _) = PowerClipScorer(model, 3).Matrices(paths, captions)
            // pairs in scrambled order: sliced by image, then put back in place
            let order = [| 4; 0; 8; 2; 6; 1; 7; 3; 5 |]
            let pairs = [| for k in order -> struct (paths[k / 3], captions[k % 3]) |]
            let scrambled = (scorer :> IPairScorer).Score(pairs)
            let byPair = Array.zip order scrambled |> Array.sortBy fst |> Array.map snd
            for k in 0 .. 8 do Expect.floatClose Accuracy.medium byPair[k] (float a[k / 3, k % 3]) $"pair {k}"
            for id in EvaluationScores.Ids do
                let s = EvaluationScores.For(id, model, 5)
                let suite = BenchmarkSuite.Run(s, export.Value)
                Expect.equal (suite.Score, suite.Scoring) (id, s.Name) $"{id}: recorded"
                Expect.equal (suite.All() |> Seq.length) 5 $"{id}: all five benchmarks"
        }
        test "--score parsing: own follows the objective, all is every score, order is fixed" {
            let parse (option: string) (loss: string) = List.ofSeq (EvaluationScores.Parse(option, loss))
            Expect.equal (parse "own" "filip") [ "cosine"; "filip" ] "FILIP: late interaction"
            Expect.equal (parse "own" "sparc") [ "cosine"; "sparc" ] "SPARC"
            Expect.equal (parse "own" "powerclip-no-tree") [ "cosine"; "powerclip" ] "PowerCLIP ablation: S̄"
            Expect.equal (parse "own" "clip") [ "cosine" ] "CLIP: the cosine is its own score"
            Expect.equal (parse "powerclip,cosine" "clip") [ "cosine"; "powerclip" ] "cosine first"
            Expect.equal (EvaluationScores.Parse("all", "clip")).Count 4 "all"
            Expect.throwsT<ArgumentException> (fun () -> EvaluationScores.Parse("fillip", "clip") |> ignore) "typo"
        }
    ]
