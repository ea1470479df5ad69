/// The estimators beyond the paper (Estimators.fs) and the losses.
module PowerClip.Math.Tests.EstimatorProperties

open System
open Expecto
open FsCheck.FSharp
open PowerClip.Spec
open PowerClip.Math.Tests.Generators

let private prop (name: string) (body: Case -> bool) : Test =
    testPropertyWithConfig config name (Prop.forAll (cases 12) body)

[<Tests>]
let tests =
    testList "math.estimators" [
        prop "delta method lies in [L_tau, U_tau]" (fun c ->
            let d = Estimators.r2tDelta c.Tau c.S0 c.Tree
            Nla.lower c.Tau c.S0 c.Tree - slack <= d && d <= Nla.upper c.Tau c.S0 c.Tree + slack)

        prop "delta method is exact with a single node (LSE is then linear)" (fun c ->
            let tree = { c.Tree with Nodes = [| c.Tree.Nodes[0] |] }
            abs (Estimators.r2tDelta c.Tau c.S0 tree - Powerset.r2tLse c.Tau c.S0 tree) <= slack)

        prop "delta method is second-order: for S1 small against tau it beats L_tau tenfold" (fun c ->
            // Scaling S0 by ε: L_τ errs by O(ε²), the corrected estimate by O(ε³).
            let s0 = Array2D.map (fun v -> 1e-3 * v) c.S0
            let tau = 1.0
            let relaxed = Powerset.r2tLse tau s0 c.Tree
            abs (Estimators.r2tDelta tau s0 c.Tree - relaxed) <= 0.1 * abs (Nla.lower tau s0 c.Tree - relaxed) + 1e-13)

        prop "Monte Carlo R2T: within its Hoeffding half-width of Q-> at confidence 1 - 1e-6, and seeded" (fun c ->
            let mc = Estimators.r2tMonteCarlo 64 c.Seed (1.0 - 1e-6) c.S0 c.Tree
            let again = Estimators.r2tMonteCarlo 64 c.Seed (1.0 - 1e-6) c.S0 c.Tree
            abs (mc.Estimate - Powerset.r2tExact c.S0 c.Tree) <= mc.HalfWidth + slack && mc = again)

        prop "InfoNCE is >= 0, and shifting all logits changes nothing" (fun c ->
            let n = min c.M c.Tree.LeafCount
            let x = Array2D.init n n (fun i j -> c.S0[i, j] / c.Tau)
            let shifted = Array2D.map (fun v -> v + 7.0) x
            Losses.infoNce x >= 0.0 && abs (Losses.infoNce x - Losses.infoNce shifted) <= 1e-9 * (1.0 + 1.0 / c.Tau))

        prop "triplet loss is >= 0, and 0 exactly when every diagonal beats its row by delta" (fun c ->
            let n = max 2 (min c.M c.Tree.LeafCount)
            let x = Array2D.init n n (fun i j -> if i < c.M && j < c.Tree.LeafCount then c.S0[i, j] else 0.0)
            let delta = 0.2
            let margins =
                [ for i in 0 .. n - 1 ->
                    (Seq.max (seq { for j in 0 .. n - 1 do if j <> i then yield x[i, j] })) - x[i, i] + delta ]
            let loss = Losses.triplet delta x
            loss >= 0.0 && ((loss = 0.0) = List.forall (fun m -> m <= 0.0) margins))
    ]
