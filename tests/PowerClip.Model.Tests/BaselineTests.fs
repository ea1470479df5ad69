/// The baselines behind IContrastiveObjective (CLIP, FLIP, FILIP, SPARC) against their definitions (FILIP written
/// out here, SPARC's L_f in PowerClip.Spec.Sparc), every objective end to end on the tiny model through its own
/// forward pass, and the loss's bad-input messages. Masking: MaskingTests; A-CLIP: AClipTests.
module PowerClip.Model.Tests.BaselineTests

open System
open Expecto
open TorchSharp
open PowerClip.Spec
open PowerClip.Model
open PowerClip.Model.Tests.TestData

let private unitRows (x: float[]) (dim: int) : float[] =
    x |> Array.chunkBySize dim
        |> Array.collect (fun v -> let n = sqrt (Array.sumBy (fun a -> a * a) v) in v |> Array.map (fun a -> a / n))

let private dot (a: float[]) (i: int) (b: float[]) (j: int) (dim: int) =
    Seq.sum (seq { for d in 0 .. dim - 1 -> a[i * dim + d] * b[j * dim + d] })

/// Mean over rows of the cross-entropy with the diagonal as target.
let private rowCe (x: float[,]) : float =
    Array.average (Array.init (Array2D.length1 x) (fun i -> Numerics.logSumExp x[i, *] - x[i, i]))

let private bsz, n, s, dim = 3, 5, 4, 6
let private validRows = [| [| true; true; true; false |]; [| true; true; false; false |];
                           [| true; true; true; true |] |]

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

/// A tiny-model batch with regions and trees for every objective, through the objective's own forward pass.
let private tinyBatch (model: ClipModel) (objective: IContrastiveObjective) : ObjectiveInputs =
    let toks = torch.from_array([| 50257L; 320L; 1929L; 536L; 50256L; 0L; 0L; 0L; 0L; 0L; 0L; 0L; 0L; 0L; 0L; 0L
                                   50257L; 518L; 2368L; 50256L; 0L; 0L; 0L; 0L; 0L; 0L; 0L; 0L; 0L; 0L; 0L; 0L |])
                   .reshape(2L, 16L)
    torch.manual_seed 9L |> ignore
    match objective with
    | :? IStatefulObjective as s -> s.Attach model
    | _ -> ()
    let o = objective.Forward(model, torch.randn(2L, 3L, 32L, 32L), toks, ForwardContext(new torch.Generator(3UL)))
    let trees = [| CaptionTree([| struct (1, 2); struct (2, 3); struct (3, 4) |], [| [| 0; 1; 2 |]; [| 1; 2 |] |])
                   CaptionTree([| struct (1, 2); struct (2, 3) |], [| [| 0; 1 |] |]) |]
    ObjectiveInputs(o, RandomBoxSampler(4, 1).Sample(2, 4), PhraseBatch.Build(trees, 16))

/// The spec's token sets of a padded batch: the valid rows of tokens [b, s, dim].
let private specTokens (t: float[]) : float[,][] =
    Array.init bsz (fun b ->
        let ks = [| for k in 0 .. s - 1 do if validRows[b][k] then yield k |]
        Array2D.init ks.Length dim (fun i d -> t[(b * s + ks[i]) * dim + d]))

let private specPatches (p: float[]) : float[,][] =
    Array.init bsz (fun b -> Array2D.init n dim (fun i d -> p[(b * n + i) * dim + d]))

let private sparcCases =
    [ for avg, specAvg in [ SparcAveraging.PerCaption, PerCaption; SparcAveraging.PerToken, PerToken ] do
        for unitSim in [ false; true ] -> SparcSettings(Averaging = avg, UnitSimilarity = unitSim), specAvg, unitSim ]

[<Tests>]
let tests =
    testList "baselines" [
        test "FILIP similarities equal token-wise max late interaction, chunked or not" {
            use scope = torch.NewDisposeScope()
            let p, t, valid = inputs 41
            let pv, tv = unitRows p dim, unitRows t dim
            let i2t = Array2D.init bsz bsz (fun i j ->
                Array.average (Array.init n (fun a ->
                    seq { for k in 0 .. s - 1 do if validRows[j][k] then yield dot pv (i * n + a) tv (j * s + k) dim }
                    |> Seq.max)))
            let t2i = Array2D.init bsz bsz (fun i j ->
                seq { for k in 0 .. s - 1 do
                        if validRows[j][k] then
                            yield Seq.max (seq { for a in 0 .. n - 1 -> dot pv (i * n + a) tv (j * s + k) dim }) }
                |> Seq.average)
            for chunk in [ 1L; 1L <<< 24 ] do
                let a, b = FilipObjective.Similarities(t64 p [| int64 bsz; int64 n; int64 dim |],
                                                       t64 t [| int64 bsz; int64 s;
                                                                int64 dim |], valid, chunk).ToTuple()
                Expect.isLessThan (maxAbsDiff (values a) (Seq.cast<float> i2t |> Array.ofSeq)) 1e-12
                    $"image→text (chunk {chunk})"
                Expect.isLessThan (maxAbsDiff (values b) (Seq.cast<float> t2i |> Array.ofSeq)) 1e-12
                    $"text→image (chunk {chunk})"
            let scale = 5.0
            let o = ClipOutputs(torch.eye(3L, dtype = torch.float64), torch.eye(3L, dtype = torch.float64),
                                torch.tensor(scale, dtype = torch.float64),
                                t64 p [| int64 bsz; int64 n; int64 dim |], t64 t
                                    [| int64 bsz; int64 s; int64 dim |], valid)
            let loss = FilipObjective().Compute(ObjectiveInputs(o)).Total.item<float>()
            let expected =
                (rowCe (Array2D.map ((*) scale) i2t)
                 + rowCe (Array2D.init bsz bsz (fun j i -> scale * t2i[i, j]))) / 2.0
            Expect.isLessThan (abs (loss - expected)) 1e-12 "FILIP loss = symmetric CE on the late-interaction scores"
        }
        test "SPARC's L_f equals Spec.Sparc.fineGrained (eq. 6 and Listing 1 averaging, raw and unit similarity)" {
            use scope = torch.NewDisposeScope()
            let p, t, valid = inputs 42
            let invT = 1.0 / 0.07
            for settings, avg, unitSim in sparcCases do
                let pt, tt = t64 p [| int64 bsz; int64 n; int64 dim |], t64 t [| int64 bsz; int64 s; int64 dim |]
                let invTt = torch.tensor(invT, dtype = torch.float64)
                let got = SparcObjective.FineGrained(pt, tt, valid, invTt, settings).item<float>()
                let expected = Sparc.fineGrained avg invT None unitSim (specPatches p) (specTokens t)
                Expect.isLessThan (abs (got - expected)) 1e-12 $"SPARC L_f ({avg}, unit similarity {unitSim})"
        }
        test "SPARC's L_f gradients equal central differences of the spec (float64, h = 1e-6)" {
            use scope = torch.NewDisposeScope()
            let p, t, valid = inputs 44
            let invT = 3.0
            for settings, avg, unitSim in sparcCases do
                let pt = (t64 p [| int64 bsz; int64 n; int64 dim |]).requires_grad_(true)
                let tt = (t64 t [| int64 bsz; int64 s; int64 dim |]).requires_grad_(true)
                let invTt = torch.tensor(invT, dtype = torch.float64)
                SparcObjective.FineGrained(pt, tt, valid, invTt, settings).backward()
                let spec (x: float[]) (y: float[]) =
                    Sparc.fineGrained avg invT None unitSim (specPatches x) (specTokens y)
                let fdP = finiteDifference 1e-6 (fun x -> spec x t) p
                let fdT = finiteDifference 1e-6 (fun x -> spec p x) t
                Expect.isLessThan (maxAbsDiff (values (nonNull pt.grad)) fdP) 1e-6 $"∂/∂patches ({avg}, unit {unitSim})"
                // padded tokens get no gradient in either; valid ones match the spec
                let tg = values (nonNull tt.grad)
                let masked =
                    Array.init tg.Length (fun k -> if validRows[k / dim / s][(k / dim) % s] then tg[k] else 0.0)
                Expect.isLessThan (maxAbsDiff tg masked) 1e-15 "no gradient into padding tokens"
                Expect.isLessThan (maxAbsDiff tg fdT) 1e-6 $"∂/∂tokens ({avg}, unit {unitSim})"
        }
        test "SPARC: hand-computed L_f, and the loss is λ_g·CLIP + λ_f·L_f with the model's learned temperature" {
            use scope = torch.NewDisposeScope()
            // tokens (2,0), (0,1); patches (1,0), (0,1): each token groups exactly its patch,
            // so L_f = log(1 + e^{−1/τ})
            let p = torch.tensor([| 1.0; 0.0; 0.0; 1.0 |]).reshape(1L, 2L, 2L)
            let t = torch.tensor([| 2.0; 0.0; 0.0; 1.0 |]).reshape(1L, 2L, 2L)
            let v = torch.ones(1L, 2L, dtype = torch.ScalarType.Bool)
            let one = torch.tensor(1.0, dtype = torch.float64)
            let fine = SparcObjective.FineGrained(p, t, v, one, SparcSettings()).item<float>()
            Expect.floatClose Accuracy.veryHigh fine (log (1.0 + exp -1.0)) "log(1 + e^{-1})"
            let r = Random 45
            let img, txt = unitTensor r [| 3L; 2L |], unitTensor r [| 3L; 2L |]
            let pp, tt = randomTensor r [| 3L; 4L; 2L |], randomTensor r [| 3L; 2L; 2L |]
            let allValid = torch.ones(3L, 2L, dtype = torch.ScalarType.Bool)
            let o = ClipOutputs(img, txt, torch.tensor(6.0, dtype = torch.float64), pp, tt, allValid)
            let loss = SparcObjective(SparcSettings()).Compute(ObjectiveInputs(o))
            let clip = Losses.infoNce (Array2D.init 3 3 (fun i j -> 6.0 * dot (values img) i (values txt) j 2))
            let sets (x: torch.Tensor) (rows: int) =
                Array.init 3 (fun b -> Array2D.init rows 2 (fun i d -> (values x)[(b * rows + i) * 2 + d]))
            let spec = Sparc.fineGrained PerCaption 6.0 None false (sets pp 4) (sets tt 2)
            Expect.isLessThan
                (abs (loss.Total.item<float>() - (0.5 * clip + 0.5 * spec))) 1e-12
                "λ_g = 0.5, λ_f = 0.5, τ_f = 1/logit scale"
        }
        test "CLIP objective equals Losses.infoNce on scale·img·txtᵀ; FLIP keeps half the patches and uses the \
            CLIP loss" {
            use scope = torch.NewDisposeScope()
            let r = Random 43
            let img, txt = unitTensor r [| 4L; 3L |], unitTensor r [| 4L; 3L |]
            let o = ClipOutputs(img, txt, torch.tensor(9.0, dtype = torch.float64),
                                torch.zeros(4L, 2L, 3L, dtype = torch.float64),
                                torch.zeros(4L, 2L, 3L, dtype = torch.float64),
                                torch.ones(4L, 2L, dtype = torch.ScalarType.Bool))
            let iv, tv = values img, values txt
            let spec = Losses.infoNce (Array2D.init 4 4 (fun i j -> 9.0 * dot iv i tv j 3))
            Expect.isLessThan (abs (ClipObjective().Compute(ObjectiveInputs(o)).Total.item<float>() - spec)) 1e-12
                "CLIP"
            let flip = Objectives.Create "flip"
            Expect.equal flip.PatchKeepRatio 0.5 "FLIP keep ratio"
            Expect.isLessThan (abs (flip.Compute(ObjectiveInputs(o)).Total.item<float>() - spec)) 1e-12
                "FLIP's loss is CLIP's"
            for name in [ "e-clip"; "clip-pgs" ] do
                let loss = Objectives.Create(name).Compute(ObjectiveInputs(o))
                Expect.isLessThan (abs (loss.Total.item<float>() - spec)) 1e-12 $"{name}'s loss is CLIP's"
                Expect.equal (loss.Parts["visible_patches"].item<float32>()) 2.0f $"{name}: every kept patch visible"
        }
        test "the CLIP-family loss (CLIP, FLIP, E-CLIP, CLIP-PGS) has the spec's gradient (float64, h = 1e-6)" {
            use scope = torch.NewDisposeScope()
            let r = Random 46
            let x = Array.init 24 (fun _ -> gaussian r)
            let spec (x: float[]) = Losses.infoNce (Array2D.init 4 4 (fun i j -> 9.0 * dot x i x[12..] j 3))
            let fd = finiteDifference 1e-6 spec x
            for name in [ "clip"; "flip"; "e-clip"; "clip-pgs" ] do
                let img = (t64 x[..11] [| 4L; 3L |]).requires_grad_(true)
                let txt = (t64 x[12..] [| 4L; 3L |]).requires_grad_(true)
                let zeros = torch.zeros(4L, 2L, 3L, dtype = torch.float64)
                let o = ClipOutputs(img, txt, torch.tensor(9.0, dtype = torch.float64), zeros, zeros,
                                    torch.ones(4L, 2L, dtype = torch.ScalarType.Bool))
                Objectives.Create(name).Compute(ObjectiveInputs(o)).Total.backward()
                let grad = Array.append (values (nonNull img.grad)) (values (nonNull txt.grad))
                Expect.isLessThan (maxAbsDiff grad fd) 1e-7 $"{name}: gradient"
        }
        test "every objective runs on the tiny model through its own forward; every parameter gets a finite gradient" {
            for name in Objectives.Names do
                use scope = torch.NewDisposeScope()
                torch.manual_seed 7L |> ignore
                use model = new ClipModel(Presets.Load "tiny")
                let objective =
                    Objectives.Create(name, ObjectiveSettings(PowerClip = PowerClipLossConfig(MaxExactRegions = 4)))
                let batch = tinyBatch model objective
                let loss = objective.Compute(batch)
                Expect.isTrue (Double.IsFinite(loss.Total.item<float32>() |> float)) $"{name}: finite loss"
                loss.Total.backward()
                for struct (pname, prm) in model.named_parameters() do
                    match prm.grad with
                    | null -> failtest $"{name}: {pname} got no gradient"
                    | g -> Expect.isTrue (torch.isfinite(g).all().item<bool>()) $"{name}: {pname} gradient finite"
                if name.StartsWith "powerclip" then
                    Expect.isTrue (loss.Parts.ContainsKey "triplet") $"{name}: has a triplet part"
        }
        test "the PowerCLIP loss names mismatched batches, non-finite features and missing inputs" {
            use scope = torch.NewDisposeScope()
            use model = new ClipModel(Presets.Load "tiny")
            let loss = PowerClipLoss(PowerClipLossConfig())
            let b = tinyBatch model loss
            Expect.stringContains (message (fun () ->
                loss.Compute(ObjectiveInputs(b.Outputs, RandomBoxSampler(4, 1).Sample(3, 4), b.Phrases)) |> ignore))
                "batch sizes differ: images has 2 samples but region masks has 3" "mask batch"
            Expect.stringContains (message (fun () ->
                let trees = PhraseBatch.Build([| CaptionTree([| struct (1, 2) |], [| [| 0 |] |]) |], 16)
                loss.Compute(ObjectiveInputs(b.Outputs, b.RegionMasks, trees)) |> ignore))
                "batch sizes differ: captions has 2 samples but caption trees has 1" "tree batch"
            let bad = b.Outputs.PatchTokens.detach().clone()
            bad[1L, 3L, 0L] <- torch.tensor(Single.NaN)
            Expect.stringContains (message (fun () ->
                let outputs = ClipOutputs(b.Outputs.ImageEmbeds, b.Outputs.TextEmbeds, b.Outputs.LogitScale, bad,
                                          b.Outputs.TokenFeatures, b.Outputs.TokenMask)
                loss.Compute(ObjectiveInputs(outputs, b.RegionMasks, b.Phrases)) |> ignore))
                "patch tokens has non-finite values (NaN or ±∞) in sample 1" "NaN patch"
            let badTxt = b.Outputs.TextEmbeds.detach().clone()
            badTxt[0L, 0L] <- torch.tensor(Single.PositiveInfinity)
            Expect.stringContains (message (fun () ->
                let outputs = ClipOutputs(b.Outputs.ImageEmbeds, badTxt, b.Outputs.LogitScale, b.Outputs.PatchTokens,
                                          b.Outputs.TokenFeatures, b.Outputs.TokenMask)
                loss.Compute(ObjectiveInputs(outputs, b.RegionMasks, b.Phrases)) |> ignore))
                "text embeddings has non-finite values (NaN or ±∞) in sample 0" "inf text"
            Expect.stringContains
                (message (fun () -> loss.Compute(ObjectiveInputs(b.Outputs, null, b.Phrases)) |> ignore))
                "needs region masks" "no masks"
            Expect.stringContains (message (fun () -> Objectives.Create "vse" |> ignore)) "unknown objective 'vse'"
                "unknown objective"
        }
    ]
