/// Random inputs for the properties: M ≤ 12 regions, parse-like trees of 1–15 leaves, S0 in [−1, 1].
module PowerClip.Math.Tests.Generators

open System
open FsCheck
open FsCheck.FSharp
open PowerClip.Spec

/// One input; ToString prints everything needed to replay a counterexample by hand.
type Case =
    { S0: float[,]; Tree: ParseTree; Tau: float; Seed: int }
    member c.M = Array2D.length1 c.S0
    member c.T = c.Tree.Nodes.Length
    override c.ToString() =
        let nodes = c.Tree.Nodes |> Array.map (fun n -> "[" + String.Join(",", n) + "]")
        let rows =
            [| for m in 0 .. c.M - 1 ->
                 "[" + String.Join(",", c.S0[m, *] |> Array.map (fun v -> v.ToString "R")) + "]" |]
        $"Case(seed={c.Seed}, tau={c.Tau:R}, leaves={c.Tree.LeafCount}, nodes={String.Join(' ', nodes)}, \
            s0=[{String.Join(',', rows)}])"

/// S0 entries uniform in [−1, 1]; with coarse = true they are multiples of ½, which makes ties in max and
/// zeros in ReLU common (the places where the bounds are tight).
let similarities (rng: Random) (regions: int) (leaves: int) (coarse: bool) : float[,] =
    Array2D.init regions leaves (fun _ _ ->
        if coarse then float (rng.Next(-2, 3)) / 2.0 else 2.0 * rng.NextDouble() - 1.0)

let caseOfSeed (maxRegions: int) (seed: int) : Case =
    let rng = Random seed
    let regions = rng.Next(1, maxRegions + 1)
    let leaves = rng.Next(1, 16)
    let tree = Synthetic.parseLikeTree rng leaves (rng.NextDouble() < 0.3)
    let s0 = similarities rng regions leaves (rng.NextDouble() < 0.15)
    let tau = 10.0 ** (-3.0 * rng.NextDouble())   // log-uniform in [1e-3, 1]
    { S0 = s0; Tree = tree; Tau = tau; Seed = seed }

/// Cases from a seed drawn by FsCheck, so a failure prints a seed that rebuilds the case.
let cases (maxRegions: int) : Arbitrary<Case> =
    Gen.choose (0, Int32.MaxValue) |> Gen.map (caseOfSeed maxRegions) |> Arb.fromGen

/// Rounding slack for comparisons of sums of up to 2^12 terms of magnitude ≤ 15·12; not a tolerance on the maths.
let slack : float = 1e-9

let config : Expecto.FsCheckConfig = { Expecto.FsCheckConfig.defaultConfig with maxTest = 200 }
