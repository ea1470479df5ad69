/// Hand-computed values and input checks of the core definitions.
module PowerClip.Math.Tests.ExampleTests

open System
open Expecto
open PowerClip.Spec

let private tree (leaves: int) (nodes: int list list) : ParseTree =
    { LeafCount = leaves; Nodes = nodes |> List.map List.toArray |> List.toArray }

let private close (actual: float) (expected: float) (what: string) =
    Expect.floatClose { absolute = 1e-12; relative = 1e-12 } actual expected what

[<Tests>]
let tests =
    testList "math.examples" [
        test "S1 sums the leaves of each node" {
            let s1 = Similarity.s1 (array2D [ [ 0.3; -0.1; 0.5 ] ]) (tree 3 [ [ 0; 1 ]; [ 0; 1; 2 ]; [ 2 ] ])
            close s1[0, 0] 0.2 "node {0,1}"
            close s1[0, 1] 0.7 "root"
            close s1[0, 2] 0.5 "leaf node"
        }
        test "exact R2T and T2R of a two-region, two-node case" {
            // Subsets: ∅ → 0, {0} → max(1,−1) = 1, {1} → max(.5,2) = 2, {0,1} → max(1.5,1) = 1.5.
            let s0 = array2D [ [ 1.0; -1.0 ]; [ 0.5; 2.0 ] ]
            let t = tree 2 [ [ 0 ]; [ 1 ] ]
            close (Powerset.r2tExact s0 t) (4.5 / 4.0) "R2T = mean of the subsets' best phrase"
            close (Powerset.t2rExact s0 t) ((1.5 + 2.0) / 2.0) "T2R = mean of the phrases' best subset"
        }
        test "one region, one node: R2T averages the empty set's 0 with S1" {
            let s0 = array2D [ [ 0.3; -0.1 ] ]
            let t = tree 2 [ [ 0; 1 ] ]
            close (Powerset.r2tExact s0 t) 0.1 "(0 + 0.2) / 2"
            close (Powerset.t2rExact s0 t) 0.2 "max(0, 0.2)"
            close (Nla.lower 0.5 s0 t) 0.1 "a single node: L_τ = Σ_m S1/2"
            close (Nla.upper 0.5 s0 t) (0.5 * (Numerics.softplus 0.4 - log 2.0))
                "a single node: U_τ = τ(softplus(S1/τ) − log 2)"
            close (Powerset.r2tLse 0.5 s0 t) 0.1 "a single node: LSE over one value is the value"
        }
        test "NLA-T2's two readings of zeta meet at the bounds" {
            let s0 = array2D [ [ 0.3; -0.1; 0.2 ]; [ -0.4; 0.6; 0.1 ] ]
            let t = tree 3 [ [ 0; 1 ]; [ 0; 1; 2 ]; [ 1 ] ]
            for tau in [ 1.0; 0.1; 1e-3 ] do
                close (Nla.t2 tau 0.0 ZetaWeightsLogCosh s0 t) (Nla.lower tau s0 t) "logcosh reading, ζ=0 is L"
                close (Nla.t2 tau 1.0 ZetaWeightsLogCosh s0 t) (Nla.upper tau s0 t) "logcosh reading, ζ=1 is U"
                close (Nla.t2 tau 1.0 ZetaWeightsLower s0 t) (Nla.lower tau s0 t) "lower reading, ζ=1 is L"
                close (Nla.t2 tau 0.0 ZetaWeightsLower s0 t) (Nla.upper tau s0 t) "lower reading, ζ=0 is U"
                close (Nla.t2 tau 0.75 ZetaWeightsLower s0 t) (Nla.t2 tau 0.25 ZetaWeightsLogCosh s0 t) "ζ ↔ 1−ζ"
        }
        test "everything stays finite at tau = 1e-3 where S1/tau reaches 1.5e4" {
            let s0 = Array2D.init 12 15 (fun m l -> if (m + l) % 3 = 0 then -1.0 else 1.0)
            let t = tree 15 [ [ 0 .. 14 ]; [ 0 .. 6 ]; [ 7 .. 14 ]; [ 3 ] ]
            let tau = 1e-3
            let values =
                [ "t1", Nla.t1 tau s0 t; "t2", Nla.t2 tau 0.75 ZetaWeightsLower s0 t
                  "upper", Nla.upper tau s0 t; "lower", Nla.lower tau s0 t; "lse", Powerset.r2tLse tau s0 t ]
            for name, v in values do
                Expect.isTrue (Double.IsFinite v) $"{name} is finite ({v})"
            // As τ → 0, NLA-T1 → Σ relu, so it must sit within Mτ·log 2 of the exact T2R.
            let gap = Nla.t1 tau s0 t - Powerset.t2rExact s0 t
            Expect.isTrue (gap >= 0.0 && gap <= 12.0 * tau * log 2.0) $"Theorem 1 gap {gap}"
        }
        test "symmetric InfoNCE of a 2x2 matrix" {
            let x = array2D [ [ 2.0; 0.0 ]; [ 1.0; 3.0 ] ]
            // rows: log(e²+1)−2, log(e+e³)−3; columns: log(e²+e)−2, log(1+e³)−3.
            let rows = (log (exp 2.0 + 1.0) - 2.0 + log (exp 1.0 + exp 3.0) - 3.0) / 2.0
            let cols = (log (exp 2.0 + exp 1.0) - 2.0 + log (1.0 + exp 3.0) - 3.0) / 2.0
            close (Losses.infoNce x) ((rows + cols) / 2.0) "mean of row and column CE"
            Expect.isTrue (Double.IsFinite (Losses.infoNce (array2D [ [ 1e4; -1e4 ]; [ -1e4; 1e4 ] ]))) "no overflow"
        }
        test "triplet loss takes the hardest negative per row" {
            let x = array2D [ [ 1.0; 0.5; 0.9 ]; [ 0.2; 0.1; 0.0 ]; [ 0.0; 0.0; 2.0 ] ]
            // rows: max(0, .9−1+.2)=.1, max(0, .2−.1+.2)=.3, max(0, 0−2+.2)=0
            close (Losses.triplet 0.2 x) (0.4 / 3.0) "(0.1 + 0.3 + 0) / 3"
        }
        test "bad inputs are refused with messages that name the problem" {
            let ok = array2D [ [ 0.1; 0.2 ] ]
            let t = tree 2 [ [ 0; 1 ] ]
            let message (f: unit -> float) =
                try f () |> ignore; "" with :? ArgumentException as e -> e.Message
            Expect.stringContains (message (fun () -> Powerset.r2tExact (Array2D.zeroCreate 21 2) t)) "M = 21"
                "M too large"
            Expect.stringContains (message (fun () -> Powerset.r2tExact ok (tree 2 [ [ 0; 2 ] ]))) "leaf index 2"
                "index out of range"
            Expect.stringContains (message (fun () -> Powerset.r2tExact ok (tree 2 []))) "no nodes" "empty tree"
            Expect.stringContains (message (fun () -> Powerset.r2tExact ok (tree 2 [ [] ]))) "node 0 is empty"
                "empty node"
            Expect.stringContains (message (fun () -> Powerset.r2tExact ok (tree 3 [ [ 0 ] ]))) "3 leaves"
                "width mismatch"
            Expect.stringContains (message (fun () -> Powerset.r2tExact (array2D [ [ nan; 0.0 ] ]) t)) "not finite"
                "NaN"
            Expect.stringContains (message (fun () -> Nla.t1 0.0 ok t)) "tau" "tau = 0"
            Expect.stringContains (message (fun () -> Nla.t2 0.1 1.5 ZetaWeightsLower ok t)) "zeta" "zeta out of range"
            Expect.stringContains (message (fun () -> Losses.triplet 0.1 (array2D [ [ 1.0; 2.0 ] ]))) "square"
                "non-square"
            Expect.stringContains (message (fun () -> Losses.infoNce (Array2D.zeroCreate 0 0))) "non-empty"
                "empty logits"
        }
    ]
