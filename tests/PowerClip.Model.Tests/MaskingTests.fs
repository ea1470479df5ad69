/// The masking baselines' patch selection (E-CLIP, CLIP-PGS, A-CLIP, FLIP) against PowerClip.Spec.PatchMasking,
/// hand-computed selections, the vision encoder's handling of hidden fillers, and the settings' messages.
module PowerClip.Model.Tests.MaskingTests

open System
open Expecto
open TorchSharp
open PowerClip.Spec
open PowerClip.Model
open PowerClip.Model.Tests.TestData

let private matrices (t: torch.Tensor) : float[,][] =
    let v = values t
    let b, n, m = int t.shape[0], int t.shape[1], int t.shape[2]
    Array.init b (fun i -> Array2D.init n m (fun r c -> v[(i * n + r) * m + c]))

let private rows (t: torch.Tensor) : float[][] =
    let v = values t
    let b, n = int t.shape[0], int t.shape[1]
    Array.init b (fun i -> v[i * n .. i * n + n - 1])

let private longs (t: torch.Tensor) : int64[] = t.cpu().contiguous().data<int64>().ToArray()

let private message (f: unit -> unit) : string =
    try
        f ()
        failtest "no exception"
    with :? ArgumentException as e -> e.Message

/// A selector that always keeps the given patches (visible: null when every one is).
let private fixedSelector (keep: int64[][]) (visible: bool[][] option) =
    { new IPatchSelector with
        member _.Select(_inputs) =
            let k = torch.tensor(Array.concat keep).reshape(int64 keep.Length, -1L)
            let v = visible |> Option.map (fun v -> torch.tensor(Array.concat v).reshape(int64 v.Length, -1L))
            PatchSelection(k, Option.toObj v) }

[<Tests>]
let tests =
    testList "masking" [
        test "pixel similarity, Sinkhorn and Sobel edges equal the spec (flat patches included)" {
            use scope = torch.NewDisposeScope()
            let r = Random 51
            let pixels = randomTensor r [| 2L; 9L; 12L |]
            pixels[0L, 4L] <- torch.tensor(0.25, dtype = torch.float64)                         // a flat patch
            let sim = PatchSimilarity.Pixel(pixels)
            let p = values pixels
            for b in 0 .. 1 do
                let spec =
                    PatchMasking.pixelSimilarity (Array.init 9 (fun i -> p[(b * 9 + i) * 12 .. (b * 9 + i) * 12 + 11]))
                Expect.isLessThan
                    (maxAbsDiff (values sim[int64 b]) (Seq.cast<float> spec |> Array.ofSeq)) 1e-12
                    $"pixel similarity, image {b}"
            Expect.equal (values sim[0L, 4L] |> Array.max) 0.0 "a flat patch is similar to nothing, itself included"
            for b in 0 .. 1 do
                let one = sim[int64 b].unsqueeze(0L)
                let got = PatchSimilarity.Sinkhorn(one, 50, 1e-3)
                let spec = PatchMasking.sinkhorn 50 1e-3 (matrices one).[0]
                Expect.isLessThan
                    (maxAbsDiff (values got) (Seq.cast<float> spec |> Array.ofSeq)) 1e-12 $"Sinkhorn, image {b}"
            let edges = PatchSimilarity.SobelEdges(pixels, 3)
            for b in 0 .. 1 do
                let patch i j = p[(b * 9 + i * 3 + j) * 12 .. (b * 9 + i * 3 + j) * 12 + 11]
                let grey = Array2D.init 3 3 (fun i j -> Array.average (patch i j))
                Expect.isLessThan
                    (maxAbsDiff (values edges[int64 b]) (PatchMasking.sobelEdges grey)) 1e-12 $"Sobel, image {b}"
        }
        test "cluster selection equals PatchMasking.clusterSelect on random inputs" {
            use scope = torch.NewDisposeScope()
            for seed in 1 .. 20 do
                let r = Random seed
                let sim = torch.rand(3L, 16L, 16L, dtype = torch.float64) * 2.0 - 1.0
                let pri, cut = torch.rand(3L, 16L, dtype = torch.float64), torch.rand(3L, 16L, dtype = torch.float64)
                let anchors, theta, rho = r.Next(1, 4), r.NextDouble(), 0.6 * r.NextDouble()
                let got = ClusterPatchSelector.SelectFrom(sim, pri, cut, anchors, theta, rho, true)
                let spec = PatchMasking.clusterSelect (matrices sim) (rows pri) (rows cut) anchors theta rho true
                let keep = longs got.Keep
                let k = int got.Keep.shape[1]
                Expect.sequenceEqual
                    keep (spec |> Array.collect (Array.map (fst >> int64))) $"kept patches (seed {seed})"
                let visible =
                    match got.Visible with null -> Array.create keep.Length true | v -> v.data<bool>().ToArray()
                Expect.sequenceEqual visible (spec |> Array.collect (Array.map snd)) $"visible (seed {seed})"
                Expect.equal (spec[0].Length) k "K"
        }
        test "cluster selection: hand-computed — one anchor's cluster, the minimum mask ratio, and a hidden filler" {
            use scope = torch.NewDisposeScope()
            // as the spec's hand example: image 0 keeps patch 1 and the hidden filler 3; image 1 keeps 1 and 3
            let sim = torch.zeros(2L, 4L, 4L, dtype = torch.float64)
            sim[0L, 2L] <- torch.tensor([| 0.9; 0.1; 1.0; 0.6 |])
            sim[1L, 0L] <- torch.tensor([| 1.0; 0.2; 0.3; 0.4 |])
            let pri = torch.tensor([| 0.1; 0.2; 0.9; 0.3; 0.8; 0.1; 0.2; 0.3 |]).reshape(2L, 4L)
            let cut = torch.tensor([| 0.5; 0.9; 0.7; 0.2; 0.1; 0.6; 0.9; 0.3 |]).reshape(2L, 4L)
            let got = ClusterPatchSelector.SelectFrom(sim, pri, cut, 1, 0.5, 0.5, true)
            Expect.sequenceEqual (longs got.Keep) [| 1L; 3L; 1L; 3L |] "kept"
            Expect.sequenceEqual
                ((nonNull got.Visible).data<bool>().ToArray()) [| true; false; true; true |]
                "patch 3 of image 0 is a hidden filler"
            Expect.equal
                (ClusterPatchSelector.AnchorCount(196L, 0.05)) 10 "10 candidates of 196 at 5% (the released count)"
            Expect.equal (ClusterPatchSelector.AnchorCount(16L, 0.03)) 1 "at least one anchor"
        }
        test "hidden fillers change nothing: the encoder with a hidden extra patch equals the encoder without it" {
            use scope = torch.NewDisposeScope()
            torch.manual_seed 52L |> ignore
            use model = new ClipModel(Presets.Load "tiny")
            let images = torch.randn(2L, 3L, 32L, 32L)
            let visible = Some (Array.create 2 [| true; true; true; false |])
            let hidden = fixedSelector [| [| 0L; 5L; 9L; 3L |]; [| 1L; 2L; 7L; 12L |] |] visible
            let with' = model.Visual.Encode(images, hidden, ForwardContext.Default)
            let plain = fixedSelector [| [| 0L; 5L; 9L |]; [| 1L; 2L; 7L |] |] None
            let without = model.Visual.Encode(images, plain, ForwardContext.Default)
            Expect.isLessThan (maxAbsDiff (values with'.Global) (values without.Global)) 1e-5 "global embedding"
            Expect.isLessThan
                (maxAbsDiff (values (with'.Patches.narrow(1L, 0L, 3L))) (values without.Patches)) 1e-5
                "visible patch tokens"
            Expect.isNotNull with'.Visible "the visibility travels with the tokens"
        }
        test "attentive blocks equal PatchMasking.attentiveBlocks; hand-computed 4×4 case" {
            use scope = torch.NewDisposeScope()
            let scores =
                torch.tensor(Array.init 16 (fun n -> float (2 * (n / 4 / 2) + (n % 4) / 2 + 1))).reshape(1L, 4L, 4L)
            Expect.sequenceEqual
                (longs (AttentivePatchSelector.Keep(scores, 0.5, 2))) [| 8L .. 15L |] "the bottom two blocks"
            for seed in 1 .. 10 do
                let r = Random seed
                let g, s = [| 4; 8; 6 |][seed % 3], [| 2; 2; 3 |][seed % 3]
                let sc = torch.rand(2L, int64 g, int64 g, dtype = torch.float64)
                let keep = 0.1 + 0.9 * r.NextDouble()
                let got = longs (AttentivePatchSelector.Keep(sc, keep, s))
                let spec =
                    matrices sc |> Array.collect (fun m -> PatchMasking.attentiveBlocks m keep s |> Array.map int64)
                Expect.sequenceEqual got spec $"grid {g}, block {s}, keep {keep:F2}"
        }
        test "random resized crops: the identity map returns the image; drawn crops fit inside it" {
            use scope = torch.NewDisposeScope()
            let img = torch.randn(2L, 3L, 8L, 8L, dtype = torch.float64)
            let identity = torch.tensor([| 1.0; 0.0; 0.0; 0.0; 1.0; 0.0 |]).reshape(1L, 2L, 3L).expand(2L, -1L, -1L)
            Expect.isLessThan
                (maxAbsDiff (values (RandomResizedCrops.Apply(img, identity, 8L))) (values img)) 1e-12 "identity"
            let theta =
                values (RandomResizedCrops.Draw(500L, 0.5, 1.0, 0.75, 4.0 / 3.0, new torch.Generator(5UL), torch.CPU))
            for i in 0 .. 499 do
                let w, tx, h, ty = theta[6 * i], theta[6 * i + 2], theta[6 * i + 4], theta[6 * i + 5]
                let inside = w > 0.0 && w <= 1.0 && h > 0.0 && h <= 1.0
                Expect.isTrue (inside && abs tx <= 1.0 - w + 1e-12 && abs ty <= 1.0 - h + 1e-12) $"crop {i} inside"
                Expect.isTrue (w * h >= 0.5 * 0.75 - 1e-12) $"crop {i} area ≥ its clipped minimum"
        }
        test "E-CLIP and CLIP-PGS forward passes: K ≤ ⌊N·(1 − min ratio)⌋ tokens, repeatable with a seeded generator" {
            use scope = torch.NewDisposeScope()
            torch.manual_seed 53L |> ignore
            use model = new ClipModel(Presets.Load "tiny")
            let images = torch.randn(4L, 3L, 32L, 32L)
            let token k = match k % 16 with 0 -> 50257L | c when c < 4 -> 320L + int64 k | 4 -> 50256L | _ -> 0L
            let tokens = torch.from_array(Array.init 64 token).reshape(4L, 16L)
            let objectives =
                [ ClusterMaskingObjective.EClip(EClipSettings()), 11L
                  ClusterMaskingObjective.ClipPgs(ClipPgsSettings()), 8L ]
            for objective, cap in objectives do
                let run seed =
                    let context = ForwardContext(new torch.Generator(seed), 5, 10)
                    (objective :> IContrastiveObjective).Forward(model, images, tokens, context)
                let a, b, c = run 1UL, run 1UL, run 2UL
                Expect.isLessThanOrEqual a.PatchTokens.shape[1] cap $"{objective.Name}: kept tokens"
                Expect.equal a.ImageEmbeds.shape [| 4L; 32L |] $"{objective.Name}: global embeddings"
                Expect.isLessThan
                    (maxAbsDiff (values a.ImageEmbeds) (values b.ImageEmbeds)) 1e-7
                    $"{objective.Name}: same generator, same masks"
                Expect.isTrue
                    (maxAbsDiff (values a.ImageEmbeds) (values c.ImageEmbeds) > 1e-6)
                    $"{objective.Name}: another generator, other masks"
                match a.VisiblePatches with
                | null -> ()
                | v -> Expect.isTrue (v.sum(1L).min().item<int64>() >= 1L) $"{objective.Name}: every image sees a patch"
        }
        test "E-CLIP's threshold search brings the mean mask ratio to its target" {
            use scope = torch.NewDisposeScope()
            torch.manual_seed 54L |> ignore
            use model = new ClipModel(Presets.Load "tiny")
            let images = torch.randn(8L, 3L, 32L, 32L)
            // Every caption needs the tiny model's end token (GPT-2's 50256) for pooling.
            let tokens = torch.ones(8L, 16L, dtype = torch.int64).index_fill_(1L, torch.tensor([| 5L |]), 50256L)
            for target in [ 0.3; 0.6 ] do
                let settings = EClipSettings(TargetMaskRatio = Nullable target, MinMaskRatio = 0.0)
                let objective = ClusterMaskingObjective.EClip settings :> IContrastiveObjective
                let o = objective.Forward(model, images, tokens, ForwardContext(new torch.Generator(7UL)))
                let visible =
                    match o.VisiblePatches with
                    | null -> float o.PatchTokens.shape[1]
                    | v -> v.to_type(torch.float64).sum(1L).mean().item<float>()
                let ratio = 1.0 - visible / 16.0
                Expect.floatClose { absolute = 0.1; relative = 0.0 } ratio target $"mean mask ratio for {target}"
        }
        test "settings name the bad field" {
            Expect.stringContains
                (message (fun () -> EClipSettings(MinMaskRatio = 1.0).Validate() |> ignore))
                "E-CLIP settings: min_mask_ratio" "E-CLIP"
            Expect.stringContains
                (message (fun () -> ClipPgsSettings(SinkhornIterations = 0).Validate() |> ignore))
                "CLIP-PGS settings: sinkhorn_iterations" "CLIP-PGS"
            Expect.stringContains
                (message (fun () -> FlipSettings(KeepRatio = 0.0).Validate() |> ignore)) "FLIP settings: keep_ratio"
                "FLIP"
            Expect.stringContains
                (message (fun () -> SparcSettings(FineTemperature = Nullable -1.0).Validate() |> ignore))
                "SPARC settings: fine_temperature" "SPARC"
            Expect.stringContains
                (message (fun () -> AClipSettings(Views = 1).Validate() |> ignore)) "needs views ≥ 2"
                "A-CLIP SimCLR needs two views"
            Expect.stringContains
                (message (fun () -> ObjectiveSettings(AClip = AClipSettings(KeepRatio = 2.0)).Validate() |> ignore))
                "A-CLIP settings: keep_ratio" "nested"
            use model = new ClipModel(Presets.Load "tiny")
            Expect.stringContains
                (message (fun () -> AClipObjective(AClipSettings(BlockSize = 3)).Attach model))
                "block size 3 must divide the patch grid (4" "block size"
        }
    ]
