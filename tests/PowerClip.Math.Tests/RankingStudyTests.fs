/// The ranking study's measures (RankingStudy.fs) on hand-checkable inputs, and its determinism.
module PowerClip.Math.Tests.RankingStudyTests

open Expecto
open PowerClip.Spec

[<Tests>]
let tests =
    testList "math.ranking" [
        test "ranks share ties; Spearman is 1 for any increasing map and -1 for a reversal" {
            let r = RankingStudy.ranks [| 3.0; 1.0; 3.0; 2.0 |]
            Expect.equal r [| 3.5; 1.0; 3.5; 2.0 |] "ties get their average rank"
            let x = [| 0.3; -1.0; 2.0; 0.1; 5.0 |]
            Expect.floatClose Accuracy.veryHigh (RankingStudy.spearman x (Array.map exp x)) 1.0 "monotone"
            Expect.floatClose Accuracy.veryHigh (RankingStudy.spearman x (Array.map (fun v -> -v) x)) -1.0 "reversed"
            Expect.isTrue (System.Double.IsNaN (RankingStudy.spearman x (Array.create 5 1.0))) "constant: undefined"
        }
        test "the hardest negative skips the positive" {
            let hardest = RankingStudy.hardestNegative [| 9.0; 1.0; 4.0; 4.0 |] 0
            Expect.equal hardest 2 "largest off the positive, first of ties"
        }
        test ("an estimator equal to the exact matrix up to a constant shift is perfect; "
              + "a swapped hardest negative is not") {
            let exact = array2D [ [ 1.0; 0.5; 0.2 ]; [ 0.1; 0.9; 0.4 ]; [ 0.3; 0.35; 1.2 ] ]
            let shifted = RankingStudy.fidelity 1.0 1 exact (Array2D.map (fun v -> v + 0.7) exact)
            let rankings = shifted.SpearmanRows, shifted.HardestRows, shifted.HardestColumns
            Expect.equal rankings (1.0, 1.0, 1.0) "a shift keeps every ranking"
            Expect.floatClose Accuracy.veryHigh shifted.TripletRelativeError 0.0 "and the triplet loss (differences)"
            let swapped = Array2D.copy exact
            swapped[2, 0] <- 0.4   // row 2's hardest negative becomes column 0 (was 1); column 0's stays row 2
            let f = RankingStudy.fidelity 0.2 1 exact swapped
            Expect.floatClose Accuracy.veryHigh f.HardestRows (2.0 / 3.0) "one row of three disagrees"
            Expect.floatClose Accuracy.veryHigh f.HardestColumns 1.0 "every column agrees"
        }
        test "the bootstrap interval brackets the mean, is seeded, and narrows with more batches" {
            let rng = System.Random 1
            let xs n = Array.init n (fun _ -> rng.NextDouble())
            let small, large = xs 10, xs 1000
            let a = RankingStudy.bootstrap 500 7 small
            Expect.isTrue (a.Low <= a.Mean && a.Mean <= a.High) $"{a}"
            Expect.equal a (RankingStudy.bootstrap 500 7 small) "seeded"
            let b = RankingStudy.bootstrap 500 7 large
            Expect.isLessThan (b.High - b.Low) (a.High - a.Low) "1000 batches give a narrower interval than 10"
        }
        test "the single-pass exact and relaxed R2T equal Powerset's enumerations" {
            let rng = System.Random 4
            for k in 0 .. 40 do
                let s0, t = Synthetic.studyCase Uniform rng (1 + k % 10)
                let exact, relaxed = RankingStudy.exactAndRelaxed [| 0.1; 1e-3 |] s0 t
                let close = Expect.floatClose { absolute = 1e-11; relative = 1e-11 }
                close exact (Powerset.r2tExact s0 t) "Q->"
                close relaxed[1] (Powerset.r2tLse 1e-3 s0 t) "relaxed, tau 1e-3"
        }
        test "a tiny study is deterministic, and the exact-relaxed R2T at small tau ranks almost like the exact one" {
            let c = { Batches = 4; BatchSize = 5; Regions = 5; Taus = [| 1e-3 |]; Zetas = [| 0.75 |]
                      Inputs = AdversarialBatch; McSamples = [| 4 |]; Delta = 0.2; Resamples = 200; Seed = 9 }
            let rows = RankingStudy.run c
            Expect.equal rows (RankingStudy.run c) "same seed, same rows"
            let lse = rows |> Array.find (fun r -> r.Estimator = "r2t_lse")
            Expect.isGreaterThan lse.SpearmanRows.Mean 0.95 $"Q~->_tau at tau 1e-3 ranks like Q-> ({lse.SpearmanRows})"
            Expect.hasLength rows (4 + 3 + 1) "r2t_lse, lower, upper, delta, NLA-T2 x 3 readings, Monte Carlo"
        }
    ]
