/// The options beyond the default reading: the linear-interpolation reading of ζ, R2T over the non-empty subsets
/// (proofs/r2t-subsets.md) and the Monte Carlo subsets the Model's `--r2t monte-carlo:K` draws.
module PowerClip.Math.Tests.ReadingProperties

open System
open Expecto
open FsCheck.FSharp
open PowerClip.Spec
open PowerClip.Math.Tests.Generators

let private prop (name: string) (body: Case -> bool) : Test =
    testPropertyWithConfig config name (Prop.forAll (cases 12) body)

let private within (lo: float) (x: float) (hi: float) : bool = lo - slack <= x && x <= hi + slack

/// Sub-cases with M ≤ 10 keep the 2^M enumerations of several quantities per case fast.
let private small (c: Case) : Case =
    if c.M <= 10 then c else { c with S0 = Array2D.init 10 c.Tree.LeafCount (fun m l -> c.S0[m, l]) }

[<Tests>]
let tests =
    testList "math.readings" [
        prop "linear reading: zeta = 0 gives L_tau, zeta = 1 gives U_tau, non-decreasing in between" (fun c ->
            let z1, z2 = let r = Random c.Seed in let a, b = r.NextDouble(), r.NextDouble() in min a b, max a b
            let t2 z = Nla.t2 c.Tau z LinearInterpolation c.S0 c.Tree
            abs (t2 0.0 - Nla.lower c.Tau c.S0 c.Tree) <= slack && abs (t2 1.0 - Nla.upper c.Tau c.S0 c.Tree) <= slack
            && t2 z1 <= t2 z2 + slack)

        prop "linear reading: zeta* solves zeta U + (1 - zeta) L = LSE-relaxed R2T" (fun c ->
            let relaxed = Powerset.r2tLse c.Tau c.S0 c.Tree
            match Nla.zetaFor c.Tau LinearInterpolation relaxed c.S0 c.Tree with
            | None -> false
            | Some z -> 0.0 <= z && z <= 1.0 && abs (Nla.t2 c.Tau z LinearInterpolation c.S0 c.Tree - relaxed) <= 1e-8)

        prop ("non-empty subsets: enumerated Q-> equals 2^M/(2^M - 1) Q-> over all subsets "
              + "(the empty set scores 0)") (fun c ->
            let c = small c
            let n = float (1 <<< c.M)
            let nonEmpty = Powerset.r2tExactOver NonEmptySubsets c.S0 c.Tree
            abs (nonEmpty - n / (n - 1.0) * Powerset.r2tExact c.S0 c.Tree) <= slack)

        prop "non-empty subsets: enumerated LSE-relaxed R2T equals (2^M all - tau log|T|) / (2^M - 1)" (fun c ->
            let c = small c
            let nonEmpty = Powerset.r2tLseOver NonEmptySubsets c.Tau c.S0 c.Tree
            let mapped = Nla.Generic.overRange NonEmptySubsets c.Tau c.M c.Tree (Powerset.r2tLse c.Tau c.S0 c.Tree)
            abs (nonEmpty - mapped) <= slack)

        prop "non-empty subsets: L <= LSE-relaxed R2T <= U and Lemma B.2 carry over through the map" (fun c ->
            let c = small c
            let over x = Nla.Generic.overRange NonEmptySubsets c.Tau c.M c.Tree x
            let relaxed = Powerset.r2tLseOver NonEmptySubsets c.Tau c.S0 c.Tree
            let exact = Powerset.r2tExactOver NonEmptySubsets c.S0 c.Tree
            within (over (Nla.lower c.Tau c.S0 c.Tree)) relaxed (over (Nla.upper c.Tau c.S0 c.Tree))
            && within exact relaxed (exact + c.Tau * log (float c.T))
            && within (over (Nla.lower c.Tau c.S0 c.Tree))
                      (Nla.t2Over NonEmptySubsets c.Tau 0.75 ZetaWeightsLower c.S0 c.Tree)
                      (over (Nla.upper c.Tau c.S0 c.Tree)))

        prop ("Monte Carlo subsets: non-empty draws are never empty, "
              + "and the estimate keeps its Hoeffding bound") (fun c ->
            let c = small c
            let subsets = Estimators.monteCarloSubsets NonEmptySubsets 64 c.Seed c.M
            let mc = Estimators.r2tMonteCarloOver NonEmptySubsets 64 c.Seed (1.0 - 1e-6) c.S0 c.Tree
            subsets |> Array.forall (Array.contains true)
            && abs (mc.Estimate - Powerset.r2tExactOver NonEmptySubsets c.S0 c.Tree) <= mc.HalfWidth + slack
            && mc.Estimate = Estimators.Generic.r2tOnSubsets subsets c.S0 c.Tree)

        test "Monte Carlo subsets: seeded, region-major per sample, and refused without samples or regions" {
            let a = Estimators.monteCarloSubsets AllSubsets 5 42 7
            Expect.equal a (Estimators.monteCarloSubsets AllSubsets 5 42 7) "same seed, same subsets"
            let rng = Random 42
            let first7 = Array.init 7 (fun _ -> rng.Next 2 = 1)
            Expect.equal a[0] first7 "sample 0 is the first 7 draws of Random(seed).Next 2"
            Expect.throws (fun () -> Estimators.monteCarloSubsets AllSubsets 0 1 3 |> ignore) "0 samples"
            Expect.throws (fun () -> Estimators.monteCarloSubsets AllSubsets 4 1 0 |> ignore) "0 regions"
        }
    ]
