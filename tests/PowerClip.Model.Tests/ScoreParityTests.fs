/// Parity of the pairwise aggregations (S0 → S1 → NLA-T1, NLA-T2, exact Q→/Q←) with PowerClip.Math, float64:
/// values within 1e-9; gradients (TorchSharp autograd) within 1e-7 of central differences (h = 1e-6) of the spec.
module PowerClip.Model.Tests.ScoreParityTests

open System
open Expecto
open TorchSharp
open PowerClip.Spec
open PowerClip.Model
open PowerClip.Model.Tests.TestData

let private bi, bj, regions = 3, 4, 4

/// Runs a C# pairwise function on random S0 [bi, bj, M, L] (cosine-like entries in [-1, 1]) and random trees
/// of different sizes (so leaf and node padding is exercised), and compares each pair with the spec.
let private check (seed: int) (withGrad: bool) (csharp: torch.Tensor -> torch.Tensor -> torch.Tensor)
                  (spec: float[,] -> ParseTree -> float) =
    use scope = torch.NewDisposeScope()
    let r = Random seed
    let trees = randomTrees r bj 2 6
    use phrases = PhraseBatch.Build(trees, 16, torch.float64)
    let l = int phrases.LeafMask.shape[1]
    let s0v = Array.init (bi * bj * regions * l) (fun _ -> 2.0 * r.NextDouble() - 1.0)
    let s0 = (t64 s0v [| int64 bi; int64 bj; int64 regions; int64 l |]).requires_grad_(true)
    let out = csharp (PowerClipScores.S1FromS0(s0, phrases.Membership)) phrases.NodeMask
    Expect.sequenceEqual out.shape [| int64 bi; int64 bj |] "one score per image–caption pair"
    let got = values out
    if withGrad then out.sum().backward()
    let grad = if withGrad then values (nonNull s0.grad) else [||]
    for i in 0 .. bi - 1 do
        for j in 0 .. bj - 1 do
            let leaves = trees[j].LeafSpans.Count
            let tree = mathTree trees[j]
            let block = pairBlock s0v bj regions l i j leaves
            let expected = spec block tree
            Expect.isLessThanOrEqual (abs (got[i * bj + j] - expected)) 1e-9
                $"pair ({i},{j}): C# {got[i * bj + j]} vs spec {expected}"
            if withGrad then
                let flat = Array.init (regions * leaves) (fun k -> block[k / leaves, k % leaves])
                let fd =
                    finiteDifference 1e-6
                        (fun x -> spec (Array2D.init regions leaves (fun a b -> x[a * leaves + b])) tree) flat
                let ad = Array.init (regions * l) (fun k -> grad[((i * bj + j) * regions + k / l) * l + k % l])
                let adValid = Array.init (regions * leaves) (fun k -> ad[(k / leaves) * l + k % leaves])
                Expect.isLessThanOrEqual (maxAbsDiff adValid fd) 1e-7 $"pair ({i},{j}): gradient vs central differences"
                let padded = ad |> Array.indexed |> Array.filter (fun (k, _) -> k % l >= leaves) |> Array.map snd
                Expect.all padded (fun g -> g = 0.0) "padded leaves get no gradient"

let private weight (reading: PowerClip.Model.ZetaReading) (zeta: float) : float =
    PowerClipLossConfig(Zeta = zeta, Reading = reading).LogCoshWeight.Value

[<Tests>]
let tests =
    testList "score parity with PowerClip.Math" [
        for tau in [ 1e-3; 0.05 ] do
            test $"NLA-T1 equals Nla.t1 (tau {tau})" {
                check 11 (tau > 0.01) (fun s1 mask -> PowerClipScores.NlaT1(s1, mask, tau)) (Nla.t1 tau)
            }
            for reading in [ PowerClip.Model.ZetaReading.ZetaWeightsLower;
                             PowerClip.Model.ZetaReading.ZetaWeightsLogCosh ] do
                for zeta in [ 0.0; 0.25; 0.75; 1.0 ] do
                    test $"NLA-T2 equals Nla.t2 (tau {tau}, zeta {zeta}, {reading})" {
                        check 12 (tau > 0.01) (fun s1 mask -> PowerClipScores.NlaT2(s1, mask, tau, weight reading zeta))
                            (Nla.t2 tau zeta (mathReading reading))
                    }
            test $"NLA-T2 at log-cosh weight 1 / 0 equals the bounds U and L (tau {tau})" {
                check 13 false (fun s1 mask -> PowerClipScores.NlaT2(s1, mask, tau, 1.0)) (Nla.upper tau)
                check 13 false (fun s1 mask -> PowerClipScores.NlaT2(s1, mask, tau, 0.0)) (Nla.lower tau)
            }
        test "exact R2T equals Powerset.r2tExact, with gradients" {
            check 14 true (fun s1 mask -> PowerClipScores.ExactR2T(s1, mask, 16)) Powerset.r2tExact
        }
        test "exact T2R equals Powerset.t2rExact, with gradients" {
            check 15 true (fun s1 mask -> PowerClipScores.ExactT2R(s1, mask, 16)) Powerset.t2rExact
        }
        test "S1 from node embeddings equals S1 from S0" {
            use scope = torch.NewDisposeScope()
            let r = Random 16
            use phrases = PhraseBatch.Build(randomTrees r bj 2 6, 16, torch.float64)
            let phi = unitTensor r [| int64 bi; int64 regions; 8L |]
            let psi = unitTensor r [| int64 bj; phrases.LeafMask.shape[1];
                                      8L |] * phrases.LeafMask.unsqueeze(-1).to_type(torch.float64)
            let viaS0 = PowerClipScores.S1FromS0(PowerClipScores.S0(phi, psi), phrases.Membership)
            let viaNodes = PowerClipScores.S1(phi, PowerClipScores.NodeEmbeddings(psi, phrases.Membership))
            Expect.isLessThanOrEqual (maxAbsDiff (values viaS0) (values viaNodes)) 1e-12
                "p_B = Σ ψ_l makes S1 linear in the leaves"
        }
        test "exact aggregation refuses M above its limit, naming M" {
            use scope = torch.NewDisposeScope()
            let s1 = torch.zeros([| 1L; 1L; 5L; 2L |], dtype = torch.float64)
            let message =
                try
                    PowerClipScores.ExactR2T(s1, torch.ones([| 1L; 2L |], dtype = torch.ScalarType.Bool), 4) |> ignore
                    failtest "accepted M = 5 above the limit 4"
                with :? ArgumentException as e -> e.Message
            Expect.stringContains message "M = 5" "names M"
        }
        test "ClipLoss.FromLogits equals Losses.infoNce; TripletLoss equals Losses.triplet" {
            use scope = torch.NewDisposeScope()
            let r = Random 17
            let x = Array.init 25 (fun _ -> 3.0 * gaussian r)
            let spec = Array2D.init 5 5 (fun i j -> x[i * 5 + j])
            let t = t64 x [| 5L; 5L |]
            Expect.isLessThanOrEqual (abs ((ClipLoss.FromLogits t).item<float>() - Losses.infoNce spec)) 1e-12 "InfoNCE"
            for delta in [ 0.0; 0.2; 1.5 ] do
                Expect.isLessThanOrEqual
                    (abs ((TripletLoss.Hardest(t, delta)).item<float>() - Losses.triplet delta spec)) 1e-12
                    $"triplet δ = {delta}"
        }
    ]
