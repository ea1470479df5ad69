/// The baselines' specification (SPARC's L_f, A-CLIP's SimCLR/BYOL/EMA, the masking rules of E-CLIP, CLIP-PGS and
/// A-CLIP): hand-computed values and properties that follow from their definitions.
module PowerClip.Math.Tests.BaselineProperties

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open PowerClip.Spec
open PowerClip.Math.Tests.Generators

let private seeds = Gen.choose (0, Int32.MaxValue) |> Arb.fromGen

let private gaussian (r: Random) = sqrt (-2.0 * log (1.0 - r.NextDouble())) * cos (2.0 * Math.PI * r.NextDouble())

let private matrix (r: Random) (rows: int) (cols: int) = Array2D.init rows cols (fun _ _ -> gaussian r)

let private close (a: float) (b: float) = abs (a - b) <= 1e-9 * (1.0 + abs a)

[<Tests>]
let tests =
    testList "math.baselines" [
        test "SPARC: hand-computed L_f — two tokens each grouping exactly one patch" {
            // s = [[2, 0], [0, 1]] → min-max rows [[1, 0], [0, 1]] ≥ σ = 1/2 → c_l = v_l; cos matrix = I, so each
            // direction's −log softmax is log(1 + e^{−1/τ}).
            let patches = [| array2D [ [ 1.0; 0.0 ]; [ 0.0; 1.0 ] ] |]
            let tokens = [| array2D [ [ 2.0; 0.0 ]; [ 0.0; 1.0 ] ] |]
            for avg in [ PerCaption; PerToken ] do
                Expect.floatClose
                    Accuracy.veryHigh (Sparc.fineGrained avg 1.0 None false patches tokens) 0.31326168751822286 "τ = 1"
                Expect.floatClose
                    Accuracy.veryHigh (Sparc.fineGrained avg 2.0 None false patches tokens) 0.12692801104297263
                    "τ = 1/2"
        }
        testPropertyWithConfig config "SPARC: L_f ignores each token's length and the order of the patches"
            (Prop.forAll seeds (fun seed ->
                let r = Random seed
                let b = r.Next(1, 4)
                let patches = Array.init b (fun _ -> matrix r (r.Next(2, 7)) 4)
                let tokens = Array.init b (fun _ -> matrix r (r.Next(1, 5)) 4)
                let scaled = tokens |> Array.map (Array2D.mapi (fun i _ x -> x * (0.5 + float i)))
                let shuffled =
                    patches
                        |> Array.map
                        (fun p -> let n = Array2D.length1 p in Array2D.init n 4 (fun i j -> p[n - 1 - i, j]))
                [ PerCaption; PerToken ] |> List.forall (fun avg ->
                    let l = Sparc.fineGrained avg 3.0 None false patches tokens
                    l >= 0.0 && close l (Sparc.fineGrained avg 3.0 None false patches scaled)
                    && close l (Sparc.fineGrained avg 3.0 None false shuffled tokens))))
        test "SimCLR: hand-computed — orthogonal images, identical views, τ = 1" {
            let v = [| [| 1.0; 0.0 |]; [| 0.0; 1.0 |] |]
            // row 0: positive ⟨a0, b0⟩ = 1, negatives ⟨a0, b1⟩ = 0 and ⟨a0, a1⟩ = 0: log(e + 2) − 1
            Expect.floatClose
                Accuracy.veryHigh (SelfSupervised.simclr 1.0 v v) (log (Math.E + 2.0) - 1.0) "log(e + 2) − 1"
        }
        testPropertyWithConfig config "SimCLR is symmetric in its views, ≥ 0, and blind to the rows' lengths"
            (Prop.forAll seeds (fun seed ->
                let r = Random seed
                let n = r.Next(1, 6)
                let a = Array.init n (fun _ -> Array.init 3 (fun _ -> gaussian r))
                let b = Array.init n (fun _ -> Array.init 3 (fun _ -> gaussian r))
                let l = SelfSupervised.simclr 0.1 a b
                l >= 0.0 && close l (SelfSupervised.simclr 0.1 b a)
                && close l (SelfSupervised.simclr 0.1 (a |> Array.map (Array.map ((*) 3.0))) b)))
        testPropertyWithConfig config "BYOL lies in [0, 4] and is 0 when every prediction points at its target"
            (Prop.forAll seeds (fun seed ->
                let r = Random seed
                let n = r.Next(1, 5)
                let target = Array.init n (fun _ -> Array.init 3 (fun _ -> gaussian r))
                let online = Array.init n (fun _ -> Array.init 2 (fun _ -> Array.init 3 (fun _ -> gaussian r)))
                let l = SelfSupervised.byol online target
                let aligned = SelfSupervised.byol (target |> Array.map (fun t -> [| Array.map ((*) 2.0) t |])) target
                l >= -1e-12 && l <= 4.0 + 1e-12 && abs aligned <= 1e-12))
        test "EMA momentum: m₀ at the start, 1 at the end, (1 + m₀)/2 half-way; one EMA step" {
            Expect.floatClose Accuracy.veryHigh (SelfSupervised.momentum 0.996 0 100) 0.996 "step 0"
            Expect.floatClose Accuracy.veryHigh (SelfSupervised.momentum 0.996 50 100) 0.998 "half-way"
            Expect.floatClose Accuracy.veryHigh (SelfSupervised.momentum 0.996 100 100) 1.0 "end"
            Expect.sequenceEqual
                (SelfSupervised.emaStep 0.75 [| 1.0; -2.0 |] [| 3.0; 2.0 |]) [| 1.5; -1.0 |] "0.75·ema + 0.25·online"
        }
        test "Sobel: a flat grid has no edges; a vertical step lights the two columns beside it" {
            Expect.sequenceEqual (PatchMasking.sobelEdges (Array2D.create 4 4 0.7)) (Array.zeroCreate 16) "flat"
            let edges = PatchMasking.sobelEdges (Array2D.init 4 4 (fun _ j -> if j >= 2 then 1.0 else 0.0))
            // columns 1 and 2: gx = 4 (replicated borders keep rows 0 and 3 the same), columns 0 and 3: 0
            for n in 0 .. 15 do
                let expected = if n % 4 = 1 || n % 4 = 2 then 4.0 / (4.0 + 1e-6) else 0.0
                Expect.floatClose Accuracy.veryHigh edges[n] expected $"patch {n}"
        }
        testPropertyWithConfig config "Sinkhorn brings a positive matrix's row and column sums within 3ε of 1"
            (Prop.forAll seeds (fun seed ->
                let r = Random seed
                let n = r.Next(2, 8)
                let m = Array2D.init n n (fun _ _ -> 0.05 + r.NextDouble())
                let s = PatchMasking.sinkhorn 500 1e-3 m
                let ok (sums: seq<float>) = sums |> Seq.forall (fun x -> abs (x - 1.0) <= 3e-3)
                ok (seq { for i in 0 .. n - 1 -> Seq.sum (seq { for j in 0 .. n - 1 -> s[i, j] }) })
                && ok (seq { for j in 0 .. n - 1 -> Seq.sum (seq { for i in 0 .. n - 1 -> s[i, j] }) })))
        test "cluster selection: hand-computed — one anchor's cluster, the minimum mask ratio, and a filler" {
            // image 0: anchor 2 (highest priority); sim row [0.9, 0.1, 1, 0.6] > 0.5 masks {0, 2, 3}: 1 unmasked.
            // image 1: anchor 0; row [1, 0.2, 0.3, 0.4] masks {0}: 3 unmasked.
            // K = min(⌊4·(1 − 0.5)⌋, 3) = 2: image 0 keeps patch 1 and its first masked patch by cutoff (3, hidden);
            // image 1 keeps its two unmasked patches first by cutoff (3 and 1).
            let sim0 = Array2D.init 4 4 (fun i j -> if i = 2 then [| 0.9; 0.1; 1.0; 0.6 |][j] else 0.0)
            let sim1 = Array2D.init 4 4 (fun i j -> if i = 0 then [| 1.0; 0.2; 0.3; 0.4 |][j] else 0.0)
            let kept =
                PatchMasking.clusterSelect [| sim0; sim1 |] [| [| 0.1; 0.2; 0.9; 0.3 |]; [| 0.8; 0.1; 0.2; 0.3 |] |]
                    [| [| 0.5; 0.9; 0.7; 0.2 |]; [| 0.1; 0.6; 0.9; 0.3 |] |] 1 0.5 0.5 true
            Expect.sequenceEqual kept[0] [| 1, true; 3, false |] "image 0"
            Expect.sequenceEqual kept[1] [| 1, true; 3, true |] "image 1"
        }
        testPropertyWithConfig config "cluster selection: K tokens each, min(K, unmasked) visible, ≥ min mask ratio"
            (Prop.forAll seeds (fun seed ->
                let r = Random seed
                let b, n = r.Next(1, 4), r.Next(4, 17)
                let sims = Array.init b (fun _ -> Array2D.init n n (fun _ _ -> 2.0 * r.NextDouble() - 1.0))
                let pri = Array.init b (fun _ -> Array.init n (fun _ -> r.NextDouble()))
                let cut = Array.init b (fun _ -> Array.init n (fun _ -> r.NextDouble()))
                let rho, theta, anchors = 0.5 * r.NextDouble(), r.NextDouble(), r.Next(1, 3)
                let kept = PatchMasking.clusterSelect sims pri cut anchors theta rho true
                let k = kept[0].Length
                // an image its clusters cover entirely un-masks one patch
                let unmasked i =
                    max
                        1
                        (PatchMasking.clusterMask sims[i] pri[i] anchors theta true |> Array.filter not |> Array.length)
                kept |> Array.forall (fun ks -> ks.Length = k && ks = Array.sortBy fst ks)
                && k <= max 1 (int (floor (float n * (1.0 - rho) + 1e-9)))
                && kept |> Array.mapi (fun i ks -> (ks |> Array.filter snd).Length = min k (unmasked i))
                        |> Array.forall id))
        test "attentive blocks: hand-computed — keep the two best 2×2 blocks of a 4×4 map" {
            let scores = Array2D.init 4 4 (fun i j -> float (2 * (i / 2) + j / 2 + 1))   // block means [[1, 2], [3, 4]]
            Expect.sequenceEqual (PatchMasking.attentiveBlocks scores 0.5 2) [| 8 .. 15 |] "blocks 2 and 3 (bottom row)"
            Expect.sequenceEqual
                (PatchMasking.attentiveBlocks scores 0.25 1) [| 10; 11; 14; 15 |] "single patches: the four 4s"
        }
        testPropertyWithConfig config "attentive blocks: every kept block scores at least as much as every dropped one"
            (Prop.forAll seeds (fun seed ->
                let r = Random seed
                let s = r.Next(1, 3)
                let g = s * r.Next(1, 5)
                let scores = Array2D.init g g (fun _ _ -> r.NextDouble())
                let keep = 0.1 + 0.9 * r.NextDouble()
                let kept = PatchMasking.attentiveBlocks scores keep s |> Set.ofArray
                let block n = (n / g / s) * (g / s) + (n % g) / s
                let mean q =
                    Seq.average (seq { for n in 0 .. g * g - 1 do if block n = q then yield scores[n / g, n % g] })
                let keptBlocks = kept |> Set.map block
                let dropped = Set.difference (Set.ofSeq (seq { 0 .. (g / s) * (g / s) - 1 })) keptBlocks
                kept.Count = keptBlocks.Count * s * s
                && keptBlocks |> Set.forall (fun q -> dropped |> Set.forall (fun d -> mean q >= mean d))))
    ]
