/// The baselines behind IContrastiveObjective (CLIP, FLIP, FILIP, SPARC) against definitions written out
/// here, every objective end to end on the tiny model, and the loss's bad-input messages.
module PowerClip.Model.Tests.BaselineTests

open System
open Expecto
open TorchSharp
open PowerClip.Spec
open PowerClip.Model
open PowerClip.Model.Tests.TestData

let private unitRows (x: float[]) (dim: int) : float[] =
    x |> Array.chunkBySize dim |> Array.collect (fun v -> let n = sqrt (Array.sumBy (fun a -> a * a) v) in v |> Array.map (fun a -> a / n))

let private dot (a: float[]) (i: int) (b: float[]) (j: int) (dim: int) = Seq.sum (seq { for d in 0 .. dim - 1 -> a[i * dim + d] * b[j * dim + d] })

/// Mean over rows of the cross-entropy with the diagonal as target.
let private rowCe (x: float[,]) : float =
    Array.average (Array.init (Array2D.length1 x) (fun i -> Numerics.logSumExp x[i, *] - x[i, i]))

let private bsz, n, s, dim = 3, 5, 4, 6
let private validRows = [| [| true; true; true; false |]; [| true; true; false; false |]; [| true; true; true; true |] |]

let private inputs (seed: int) =
    let r = Random seed
    let patches = Array.init (bsz * n * dim) (fun _ -> gaussian r)
    let tokens = Array.init (bsz * s * dim) (fun _ -> gaussian r)
    let valid = torch.tensor(Array.concat validRows).reshape(int64 bsz, int64 s)
    patches, tokens, valid

let private message (f: unit -> unit) : string =
    try
        f ()
        failtest "no exception"
    with :? ArgumentException as e -> e.Message

/// A tiny-model batch with regions and trees for every objective.
let private tinyBatch (model: ClipModel) (keep: float) : ObjectiveInputs =
    let toks = torch.from_array([| 50257L; 320L; 1929L; 536L; 50256L; 0L; 0L; 0L; 0L; 0L; 0L; 0L; 0L; 0L; 0L; 0L
                                   50257L; 518L; 2368L; 50256L; 0L; 0L; 0L; 0L; 0L; 0L; 0L; 0L; 0L; 0L; 0L; 0L |]).reshape(2L, 16L)
    torch.manual_seed 9L |> ignore
    let o = model.Forward(torch.randn(2L, 3L, 32L, 32L), toks, keep, new torch.Generator(3UL))
    let trees = [| CaptionTree([| struct (1, 2); struct (2, 3); struct (3, 4) |], [| [| 0; 1; 2 |]; [| 1; 2 |] |])
                   CaptionTree([| struct (1, 2); struct (2, 3) |], [| [| 0; 1 |] |]) |]
    ObjectiveInputs(o, RandomBoxSampler(4, 1).Sample(2, 4), PhraseBatch.Build(trees, 16))

[<Tests>]
let tests =
    testList "baselines" [
        test "FILIP similarities equal token-wise max late interaction, chunked or not" {
            use scope = torch.NewDisposeScope()
            let p, t, valid = inputs 41
            let pv, tv = unitRows p dim, unitRows t dim
            let i2t = Array2D.init bsz bsz (fun i j ->
                Array.average (Array.init n (fun a -> seq { for k in 0 .. s - 1 do if validRows[j][k] then yield dot pv (i * n + a) tv (j * s + k) dim } |> Seq.max)))
            let t2i = Array2D.init bsz bsz (fun i j ->
                seq { for k in 0 .. s - 1 do if validRows[j][k] then yield Seq.max (seq { for a in 0 .. n - 1 -> dot pv (i * n + a) tv (j * s + k) dim }) } |> Seq.average)
            for chunk in [ 1L; 1L <<< 24 ] do
                let a, b = FilipObjective.Similarities(t64 p [| int64 bsz; int64 n; int64 dim |], t64 t [| int64 bsz; int64 s; int64 dim |], valid, chunk).ToTuple()
                Expect.isLessThan (maxAbsDiff (values a) (Seq.cast<float> i2t |> Array.ofSeq)) 1e-12 $"image→text (chunk {chunk})"
                Expect.isLessThan (maxAbsDiff (values b) (Seq.cast<float> t2i |> Array.ofSeq)) 1e-12 $"text→image (chunk {chunk})"
            let scale = 5.0
            let o = ClipOutputs(torch.eye(3L, dtype = torch.float64), torch.eye(3L, dtype = torch.float64), torch.tensor(scale, dtype = torch.float64),
                                t64 p [| int64 bsz; int64 n; int64 dim |], t64 t [| int64 bsz; int64 s; int64 dim |], valid)
            let loss = FilipObjective().Compute(ObjectiveInputs(o)).Total.item<float>()
            let expected = (rowCe (Array2D.map ((*) scale) i2t) + rowCe (Array2D.init bsz bsz (fun j i -> scale * t2i[i, j]))) / 2.0
            Expect.isLessThan (abs (loss - expected)) 1e-12 "FILIP loss = symmetric CE on the late-interaction scores"
        }
        test "SPARC fine-grained loss equals its definition (min-max, 1/N sparsity, grouping, in-caption contrast)" {
            use scope = torch.NewDisposeScope()
            let p, t, valid = inputs 42
            let pv, tv = unitRows p dim, unitRows t dim
            let temp = 0.07
            let perSample b =
                let ks = [| for k in 0 .. s - 1 do if validRows[b][k] then yield k |]
                let grouped =
                    ks |> Array.map (fun k ->
                        let sim = Array.init n (fun a -> dot tv (b * s + k) pv (b * n + a) dim)
                        let lo, hi = Array.min sim, Array.max sim
                        let w = sim |> Array.map (fun x -> let y = (x - lo) / (hi - lo) in if y >= 1.0 / float n then y else 0.0)
                        let w = w |> Array.map (fun x -> x / Array.sum w)
                        Array.init dim (fun d -> Seq.sum (seq { for a in 0 .. n - 1 -> w[a] * p[(b * n + a) * dim + d] })))
                    |> Array.concat |> fun c -> unitRows c dim
                let logits = Array2D.init ks.Length ks.Length (fun x y -> dot grouped x tv (b * s + ks[y]) dim / temp)
                let ce (m: float[,]) = Array.init ks.Length (fun i -> Numerics.logSumExp m[i, *] - m[i, i])
                ce logits, ce (Array2D.init ks.Length ks.Length (fun x y -> logits[y, x]))
            let parts = Array.init bsz perSample
            let expected = (Array.average (parts |> Array.collect fst) + Array.average (parts |> Array.collect snd)) / 2.0
            let got = SparcObjective.FineGrained(t64 p [| int64 bsz; int64 n; int64 dim |], t64 t [| int64 bsz; int64 s; int64 dim |], valid, temp).item<float>()
            Expect.isLessThan (abs (got - expected)) 1e-12 "SPARC fine-grained loss"
        }
        test "CLIP objective equals Losses.infoNce on scale·img·txtᵀ; FLIP keeps half the patches and uses the CLIP loss" {
            use scope = torch.NewDisposeScope()
            let r = Random 43
            let img, txt = unitTensor r [| 4L; 3L |], unitTensor r [| 4L; 3L |]
            let o = ClipOutputs(img, txt, torch.tensor(9.0, dtype = torch.float64), torch.zeros(4L, 2L, 3L, dtype = torch.float64), torch.zeros(4L, 2L, 3L, dtype = torch.float64), torch.ones(4L, 2L, dtype = torch.ScalarType.Bool))
            let iv, tv = values img, values txt
            let spec = Losses.infoNce (Array2D.init 4 4 (fun i j -> 9.0 * dot iv i tv j 3))
            Expect.isLessThan (abs (ClipObjective().Compute(ObjectiveInputs(o)).Total.item<float>() - spec)) 1e-12 "CLIP"
            let flip = Objectives.Create "flip"
            Expect.equal flip.PatchKeepRatio 0.5 "FLIP keep ratio"
            Expect.isLessThan (abs (flip.Compute(ObjectiveInputs(o)).Total.item<float>() - spec)) 1e-12 "FLIP's loss is CLIP's"
        }
        test "every objective runs on the tiny model and sends a finite gradient to every parameter" {
            for name in Objectives.Names do
                use scope = torch.NewDisposeScope()
                torch.manual_seed 7L |> ignore
                use model = new ClipModel(Presets.Load "tiny")
                let objective = Objectives.Create(name, ObjectiveSettings(PowerClip = PowerClipLossConfig(MaxExactRegions = 4)))
                let batch = tinyBatch model objective.PatchKeepRatio
                let loss = objective.Compute(batch)
                Expect.isTrue (Double.IsFinite(loss.Total.item<float32>() |> float)) $"{name}: finite loss"
                loss.Total.backward()
                for struct (pname, prm) in model.named_parameters() do
                    match prm.grad with
                    | null -> failtest $"{name}: {pname} got no gradient"
                    | g -> Expect.isTrue (torch.isfinite(g).all().item<bool>()) $"{name}: {pname} gradient finite"
                if name.StartsWith "powerclip" then Expect.isTrue (loss.Parts.ContainsKey "triplet") $"{name}: has a triplet part"
        }
        test "the PowerCLIP loss names mismatched batches, non-finite features and missing inputs" {
            use scope = torch.NewDisposeScope()
            use model = new ClipModel(Presets.Load "tiny")
            let b = tinyBatch model 1.0
            let loss = PowerClipLoss(PowerClipLossConfig())
            Expect.stringContains (message (fun () -> loss.Compute(ObjectiveInputs(b.Outputs, RandomBoxSampler(4, 1).Sample(3, 4), b.Phrases)) |> ignore))
                "batch sizes differ: images has 2 samples but region masks has 3" "mask batch"
            Expect.stringContains (message (fun () -> loss.Compute(ObjectiveInputs(b.Outputs, b.RegionMasks, PhraseBatch.Build([| CaptionTree([| struct (1, 2) |], [| [| 0 |] |]) |], 16))) |> ignore))
                "batch sizes differ: captions has 2 samples but caption trees has 1" "tree batch"
            let bad = b.Outputs.PatchTokens.detach().clone()
            bad[1L, 3L, 0L] <- torch.tensor(Single.NaN)
            Expect.stringContains (message (fun () -> loss.Compute(ObjectiveInputs(ClipOutputs(b.Outputs.ImageEmbeds, b.Outputs.TextEmbeds, b.Outputs.LogitScale, bad, b.Outputs.TokenFeatures, b.Outputs.TokenMask), b.RegionMasks, b.Phrases)) |> ignore))
                "patch tokens has non-finite values (NaN or ±∞) in sample 1" "NaN patch"
            let badTxt = b.Outputs.TextEmbeds.detach().clone()
            badTxt[0L, 0L] <- torch.tensor(Single.PositiveInfinity)
            Expect.stringContains (message (fun () -> loss.Compute(ObjectiveInputs(ClipOutputs(b.Outputs.ImageEmbeds, badTxt, b.Outputs.LogitScale, b.Outputs.PatchTokens, b.Outputs.TokenFeatures, b.Outputs.TokenMask), b.RegionMasks, b.Phrases)) |> ignore))
                "text embeddings has non-finite values (NaN or ±∞) in sample 0" "inf text"
            Expect.stringContains (message (fun () -> loss.Compute(ObjectiveInputs(b.Outputs, null, b.Phrases)) |> ignore)) "needs region masks" "no masks"
            Expect.stringContains (message (fun () -> Objectives.Create "vse" |> ignore)) "unknown objective 'vse'" "unknown objective"
        }
    ]
