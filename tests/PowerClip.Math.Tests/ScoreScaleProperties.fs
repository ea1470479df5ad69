/// The score scale (proofs/score-scale.md): RegionMean is the literal form with λ/M and δ·M, and it keeps S̄'s
/// range independent of M, which the literal sum does not.
module PowerClip.Math.Tests.ScoreScaleProperties

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open PowerClip.Spec
open PowerClip.Math.Tests.Generators

/// ℓ_δ(X) + ℓ_δ(Xᵀ), the triplet term of the objective.
let private bothWays (delta: float) (x: float[,]) : float =
    Losses.triplet delta x + Losses.triplet delta
        (Array2D.init (Array2D.length2 x) (Array2D.length1 x) (fun i j -> x[j, i]))

/// Exact S̄ = Q→ + Q← of one pair.
let private exactScore (c: Case) : float = Powerset.r2tExact c.S0 c.Tree + Powerset.t2rExact c.S0 c.Tree

[<Tests>]
let tests =
    testList "math.score-scale" [
        testPropertyWithConfig config "RegionMean with (lambda, delta) equals Sum with (lambda/M, delta*M)"
            (Prop.forAll (Gen.choose (0, Int32.MaxValue) |> Arb.fromGen) (fun seed ->
                let rng = Random seed
                let c, m = rng.Next(2, 9), rng.Next(1, 17)
                let lambda, delta = rng.NextDouble(), 2.0 * rng.NextDouble()
                let sbar = Array2D.init c c (fun _ _ -> float m * (4.0 * rng.NextDouble() - 1.0))
                let scaled = Array2D.map (ScoreScale.apply RegionMean m true) sbar
                abs (lambda * bothWays delta scaled - (lambda / float m) * bothWays (delta * float m) sbar)
                <= 1e-12 * (1.0 + float m)))

        testPropertyWithConfig config "RegionMean: exact S-bar lies in [-maxB|B|/2, 3/2 maxB|B|] for every M"
            (Prop.forAll (cases 12) (fun c ->
                let widest = c.Tree.Nodes |> Array.map (fun n -> float n.Length) |> Array.max
                let s = ScoreScale.apply RegionMean c.M true (exactScore c)
                -0.5 * widest - slack <= s && s <= 1.5 * widest + slack))

        test "Sum: exact S-bar grows linearly in M when every region is the same (RegionMean does not)" {
            let tree = { LeafCount = 3; Nodes = [| [| 0 |]; [| 1 |]; [| 2 |]; [| 1; 2 |]; [| 0; 1; 2 |] |] }
            let row = [| 0.9; -0.4; 0.6 |]
            let score m =
                Powerset.r2tExact (Array2D.init m 3 (fun _ l -> row[l])) tree + Powerset.t2rExact
                    (Array2D.init m 3 (fun _ l -> row[l])) tree
            let ms = [ 1; 2; 4; 8 ]
            let sums = ms |> List.map score
            let means = List.map2 (fun m s -> ScoreScale.apply RegionMean m true s) ms sums
            Expect.isGreaterThan (List.last sums / List.head sums) 4.0
                "the literal S̄ of 8 identical regions is more than 4× that of one"
            Expect.isLessThan (List.max means - List.min means) (0.5 * List.head means)
                "RegionMean stays within half of its M = 1 value"
        }

        test "the w/o-subsets ablation (single regions) is not divided, and M < 1 is refused" {
            Expect.equal (ScoreScale.apply RegionMean 10 false 3.0) 3.0 "single-region forms score one region"
            Expect.equal (ScoreScale.apply Sum 10 true 3.0) 3.0 "Sum is the identity"
            Expect.equal (ScoreScale.apply RegionMean 10 true 3.0) 0.3 "RegionMean divides by M"
            Expect.throws (fun () -> ScoreScale.divisor RegionMean 0 true |> ignore) "M = 0"
        }
    ]
