/// Every quantity is a function of the sets involved, not of how regions, leaves or nodes are numbered.
module PowerClip.Math.Tests.InvarianceProperties

open System
open Expecto
open FsCheck.FSharp
open PowerClip.Spec
open PowerClip.Math.Tests.Generators

/// Every scalar quantity of the specification on one case.
let quantities (tau: float) (s0: float[,]) (tree: ParseTree) : (string * float) list =
    [ "r2tExact", Powerset.r2tExact s0 tree
      "t2rExact", Powerset.t2rExact s0 tree
      "r2tLse", Powerset.r2tLse tau s0 tree
      "t1", Nla.t1 tau s0 tree
      "t2", Nla.t2 tau 0.75 ZetaWeightsLower s0 tree
      "upper", Nla.upper tau s0 tree
      "lower", Nla.lower tau s0 tree
      "t2rRelu", Estimators.t2rRelu s0 tree
      "r2tDelta", Estimators.r2tDelta tau s0 tree ]

let private shuffle (rng: Random) (n: int) : int[] =
    let p = [| 0 .. n - 1 |]
    rng.Shuffle p
    p

let private sameQuantities (c: Case) (s0: float[,]) (tree: ParseTree) : bool =
    List.forall2 (fun (_, a: float) (_, b: float) -> abs (a - b) <= slack)
        (quantities c.Tau c.S0 c.Tree) (quantities c.Tau s0 tree)

[<Tests>]
let tests =
    testList "math.invariance" [
        testPropertyWithConfig config "permuting regions changes nothing"
            (FsCheck.FSharp.Prop.forAll (cases 12) (fun c ->
            let p = shuffle (Random c.Seed) c.M
            sameQuantities c (Array2D.init c.M c.Tree.LeafCount (fun m l -> c.S0[p[m], l])) c.Tree))

        testPropertyWithConfig config "relabelling leaves consistently with the tree changes nothing"
            (Prop.forAll (cases 12) (fun c ->
            // Leaf l becomes π(l): column π(l) of the new S0 is column l of the old one, node B becomes π(B).
            let pi = shuffle (Random c.Seed) c.Tree.LeafCount
            let s0 = Array2D.zeroCreate c.M c.Tree.LeafCount
            for m in 0 .. c.M - 1 do
                for l in 0 .. c.Tree.LeafCount - 1 do s0[m, pi[l]] <- c.S0[m, l]
            let tree = { c.Tree with Nodes = c.Tree.Nodes |> Array.map (Array.map (fun l -> pi[l]) >> Array.sort) }
            sameQuantities c s0 tree))

        testPropertyWithConfig config "reordering the nodes changes nothing" (Prop.forAll (cases 12) (fun c ->
            let p = shuffle (Random c.Seed) c.T
            sameQuantities c c.S0 { c.Tree with Nodes = Array.init c.T (fun b -> c.Tree.Nodes[p[b]]) }))
    ]
