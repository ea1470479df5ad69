/// Region masks (CSR/dense), the -R and -S samplers, masked pooling, phrase batches and leaf embeddings.
module PowerClip.Model.Tests.RegionPhraseTests

open System
open Expecto
open TorchSharp
open PowerClip.Model
open PowerClip.Model.Tests.TestData

let private message (f: unit -> unit) : string =
    try
        f ()
        failtest "no exception"
    with :? ArgumentException as e -> e.Message

let private csr (lists: int[][]) : CsrMasks =
    CsrMasks.FromLists(lists |> Array.map (fun a -> a :> Collections.Generic.IReadOnlyCollection<int>))

/// The mask's cells form a full axis-aligned rectangle.
let private isRectangle (grid: int) (cells: int[]) : bool =
    let xs, ys = cells |> Array.map (fun c -> c % grid), cells |> Array.map (fun c -> c / grid)
    let w, h = Array.max xs - Array.min xs + 1, Array.max ys - Array.min ys + 1
    cells.Length = w * h && Array.distinct cells |> Array.length = cells.Length

[<Tests>]
let tests =
    testList "regions and phrases" [
        test "CSR masks become dense [B, M, N] 0/1 masks" {
            use scope = torch.NewDisposeScope()
            let a = csr [| [| 0; 1 |]; [| 15 |] |]
            let b = csr [| [| 5 |]; [| 2; 3; 4 |] |]
            let dense = RegionMasks.Dense([| a; b |], 4)
            Expect.sequenceEqual dense.shape [| 2L; 2L; 16L |] "shape"
            let v = values dense
            Expect.equal (Array.sum v) 7.0 "7 cells set"
            for i in [ 0; 1; 16 + 15; 32 + 5; 48 + 2; 48 + 3; 48 + 4 ] do Expect.equal v[i] 1.0 $"cell {i}"
        }
        test "a mask off the patch grid, an empty mask, or a ragged M is rejected naming sample and mask" {
            let ok = csr [| [| 0 |] |]
            let off = csr [| [| 1 |]; [| 3; 16 |] |]
            Expect.stringContains (message (fun () -> RegionMasks.Dense([| ok; off |], 4) |> ignore))
                "region mask 1 of sample 1: patch index 16 is off the 4×4 patch grid" "off grid"
            let empty = CsrMasks([| 0; 0 |], [||])
            Expect.stringContains (message (fun () -> RegionMasks.Dense([| empty |], 4) |> ignore))
                "region mask 0 of sample 0 is empty" "empty"
            Expect.stringContains (message (fun () -> RegionMasks.Dense([| ok; off |], 8) |> ignore))
                "sample 1: 2 masks, expected 1" "ragged"
            use dense = torch.zeros(2L, 3L, 16L)
            dense[1L, 2L, 0L] <- torch.tensor(1.0f)
            Expect.stringContains (message (fun () -> RegionMasks.Validate(dense, 2, 16)))
                "region mask 0 of sample 0 is empty" "dense empty"
            Expect.stringContains (message (fun () -> RegionMasks.Validate(dense, 2, 9)))
                "region masks has shape [2, 3, 16]" "dense off grid"
        }
        test "random boxes (-R) are non-empty rectangles on the grid, varied, reproducible" {
            let s = RandomBoxSampler(7, 42)
            let boxes = Array.init 300 (fun _ -> s.Box())
            Expect.all boxes (fun b -> b.Length > 0 && Array.forall (fun c -> c >= 0 && c < 49) b && isRectangle 7 b)
                "rectangles inside the 7×7 grid"
            Expect.isGreaterThan (boxes |> Array.map Array.length |> Array.distinct |> Array.length) 10 "sizes vary"
            Expect.isTrue (boxes |> Array.exists (fun b -> b.Length = 1)) "single cells occur"
            Expect.isTrue (boxes |> Array.exists (fun b -> b.Length >= 36)) "large boxes occur"
            let again = RandomBoxSampler(7, 42)
            Expect.all (Array.init 300 (fun i -> again.Box() = boxes[i])) id "same seed, same boxes"
        }
        test "given masks (-S): M drawn without replacement, padded with random boxes" {
            let rich = csr [| for k in 0 .. 5 -> [| k; k + 10 |] |]
            let poor = csr [| [| 4; 5; 6 |] |]
            let s = GivenMaskSampler(4, 1)
            let drawn = s.SampleCsr([| rich; poor |], 3)
            let masks (c: CsrMasks) = Array.init c.Count (fun m -> c.Mask(m).ToArray())
            let richMasks = masks rich |> Set.ofArray
            Expect.equal drawn[0].Count 3 "M = 3"
            Expect.all (masks drawn[0]) (fun m -> richMasks.Contains m) "all from the image's own masks"
            Expect.equal (masks drawn[0] |> Array.distinct |> Array.length) 3 "without replacement"
            let p = masks drawn[1]
            Expect.equal p.Length 3 "padded to M"
            Expect.contains p [| 4; 5; 6 |] "keeps the given mask"
            Expect.all p (isRectangle 4) "padding masks are boxes (the given one is a row too)"
            let draws = Array.init 30 (fun _ -> (s.SampleCsr([| rich |], 2)[0]).Mask(0).ToArray()) |> Array.distinct
            Expect.isGreaterThan draws.Length 2 "draws vary from step to step"
        }
        test "region embeddings are the normalized masked sums of patch tokens" {
            use scope = torch.NewDisposeScope()
            let r = Random 3
            let patches = randomTensor r [| 2L; 4L; 3L |]
            let masks = t64 [| 1.; 1.; 0.; 0.;  0.; 0.; 0.; 1.;   0.5; 0.; 0.; 1.;  1.; 1.; 1.; 1. |] [| 2L; 2L; 4L |]
            let phi = RegionPooling.Embed(patches, masks)
            let v = values patches
            let manual (b: int) (w: float[]) =
                let s = Array.init 3 (fun d -> Seq.sum (seq { for n in 0 .. 3 -> w[n] * v[(b * 4 + n) * 3 + d] }))
                let norm = sqrt (Array.sumBy (fun x -> x * x) s)
                s |> Array.map (fun x -> x / norm)
            let expected = Array.concat [ manual 0 [| 1.; 1.; 0.; 0. |]; manual 0 [| 0.; 0.; 0.; 1. |];
                                          manual 1 [| 0.5; 0.; 0.; 1. |]; manual 1 [| 1.; 1.; 1.; 1. |] ]
            Expect.isLessThan (maxAbsDiff (values phi) expected) 1e-12 "φ_m = normalize(Σ_n R_mn v_n)"
        }
        test "phrase batch: leaf tokens, membership and padding masks" {
            use scope = torch.NewDisposeScope()
            let t0 = CaptionTree([| struct (1, 3); struct (3, 4) |], [| [| 0; 1 |] |])
            let t1 = CaptionTree([| struct (1, 2); struct (2, 3); struct (3, 5) |],
                                 [| [| 0; 1; 2 |]; [| 1; 2 |]; [| 2 |] |])
            use batch = PhraseBatch.Build([| t0; t1 |], 6)
            Expect.sequenceEqual batch.LeafTokens.shape [| 2L; 3L; 6L |] "[B, L, S]"
            Expect.sequenceEqual batch.Membership.shape [| 2L; 3L; 3L |] "[B, L, T]"
            Expect.sequenceEqual (values batch.LeafTokens |> Array.take 18)
                [| 0.; 1.; 1.; 0.; 0.; 0.;  0.; 0.; 0.; 1.; 0.; 0.;  0.; 0.; 0.; 0.; 0.; 0. |] "sample 0 leaves"
            Expect.sequenceEqual (values batch.Membership |> Array.skip 9) [| 1.; 0.; 0.;  1.; 1.; 0.;  1.; 1.; 1. |]
                "sample 1: leaf × node"
            Expect.sequenceEqual (batch.LeafMask.data<bool>().ToArray()) [| true; true; false; true; true; true |]
                "leaf mask"
            Expect.sequenceEqual (batch.NodeMask.data<bool>().ToArray()) [| true; false; false; true; true; true |]
                "node mask"
        }
        test "leaf embeddings are normalized sums of their tokens; padded leaves are zero" {
            use scope = torch.NewDisposeScope()
            let r = Random 4
            let trees = [| CaptionTree([| struct (1, 3) |], [| [| 0 |] |]);
                           CaptionTree([| struct (0, 1); struct (1, 4) |], [| [| 0; 1 |] |]) |]
            use batch = PhraseBatch.Build(trees, 5, torch.float64)
            let feats = randomTensor r [| 2L; 5L; 3L |]
            let psi = batch.LeafEmbeddings(feats)
            let f = values feats
            let word b s e =
                let v = Array.init 3 (fun d -> Seq.sum (seq { for k in s .. e - 1 -> f[(b * 5 + k) * 3 + d] }))
                let n = sqrt (Array.sumBy (fun x -> x * x) v)
                v |> Array.map (fun x -> x / n)
            let expected = Array.concat [ word 0 1 3; Array.zeroCreate 3; word 1 0 1; word 1 1 4 ]
            Expect.isLessThan (maxAbsDiff (values psi) expected) 1e-12 "ψ_l = normalize(Σ_{k∈l} t_k)"
        }
        test "empty or malformed trees are rejected naming the sample" {
            let good = CaptionTree([| struct (1, 2) |], [| [| 0 |] |])
            let build (t: CaptionTree) = message (fun () -> PhraseBatch.Build([| good; t |], 8) |> ignore)
            Expect.stringContains (build (CaptionTree([||], [| [| 0 |] |]))) "sample 1 is empty" "no leaves"
            Expect.stringContains (build (CaptionTree([| struct (1, 2) |], [||]))) "sample 1 has no nodes" "no nodes"
            Expect.stringContains (build (CaptionTree([| struct (1, 2) |], [| [| 0; 3 |] |])))
                "sample 1: node 0 names leaf 3" "leaf out of range"
            Expect.stringContains (build (CaptionTree([| struct (5, 9) |], [| [| 0 |] |])))
                "sample 1: leaf 0 has token span [5, 9)" "span past the context"
            Expect.stringContains (build (CaptionTree([| struct (1, 2) |], [| [||] |])))
                "sample 1: node 0 has no leaves" "empty node"
        }
    ]
