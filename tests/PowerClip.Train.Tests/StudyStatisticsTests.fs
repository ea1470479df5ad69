/// The study's statistics (PairedBootstrap, StudyTable) on synthetic inputs whose answer is known.
module PowerClip.Train.Tests.StudyStatisticsTests

open System
open System.Collections.Generic
open Expecto
open PowerClip.Train.Study

type private Run = IReadOnlyList<float[]>
type private Runs = IReadOnlyList<Run>

let private run (sets: float[] list) : Run = sets |> List.toArray :> _
let private runs (xs: Run list) : Runs = xs |> List.toArray :> _
let private bernoulli (rng: Random) (p: float) (n: int) =
    Array.init n (fun _ -> if rng.NextDouble() < p then 1.0 else 0.0)

let private replicates (methods: Runs list) (r: int) (seed: int) =
    PairedBootstrap.Replicates(methods |> List.toArray, r, seed)

[<Tests>]
let tests =
    testList "study statistics" [
        test "a cell's value is the mean of its sets' means (a macro average), not the pooled mean" {
            let value = PairedBootstrap.Aggregate(run [ [| 1.0; 1.0; 1.0; 0.0 |]; [| 0.0; 1.0 |] ])
            Expect.floatClose Accuracy.veryHigh value ((0.75 + 0.5) / 2.0) "(3/4 + 1/2) / 2, not 4/6"
        }
        test "identical arms: the difference is 0 with an interval [0, 0], and the signs are ties" {
            let rng = Random 1
            let seedRun () = run [ bernoulli rng 0.6 80; bernoulli rng 0.3 50 ]
            let a = runs [ seedRun (); seedRun () ]
            let reps = replicates [ a; a ] 500 7
            let d = PairedBootstrap.Difference(a, a, reps[0], reps[1])
            Expect.equal (d.Point, d.Low, d.High) (0.0, 0.0, 0.0) "paired: every replicate difference is exactly 0"
            Expect.equal (PairedBootstrap.Signs(a, a)) "0 0" "a tie in both seeds"
        }
        test "a constant shift of real-valued outcomes gives exactly that shift, point and interval" {
            let rng = Random 2
            let baseRun = run [ Array.init 60 (fun _ -> rng.NextDouble()) ]
            let shifted = run [ baseRun[0] |> Array.map (fun x -> x + 0.125) ]
            let a, b = runs [ shifted ], runs [ baseRun ]
            let reps = replicates [ a; b ] 400 3
            let d = PairedBootstrap.Difference(a, b, reps[0], reps[1])
            for x in [ d.Point; d.Low; d.High ] do Expect.floatClose Accuracy.high x 0.125 "the shift"
            Expect.equal (PairedBootstrap.Signs(a, b)) "+" "ahead in the one seed"
        }
        test "pairing: an arm that fixes 10 of 200 items never resamples to a loss; unpaired resampling would" {
            let rng = Random 3
            let a0 = bernoulli rng 0.5 200
            let misses = a0 |> Array.indexed |> Array.filter (fun (_, x) -> x = 0.0) |> Array.map fst
            let wrong = misses |> Array.take 10 |> Set.ofArray
            let b0 = a0 |> Array.mapi (fun i x -> if wrong.Contains i then 1.0 else x)
            let a, b = runs [ run [ b0 ] ], runs [ run [ a0 ] ]
            let reps = replicates [ a; b ] 1000 11
            let d = PairedBootstrap.Difference(a, b, reps[0], reps[1])
            Expect.floatClose Accuracy.veryHigh d.Point 0.05 "10/200"
            Expect.isGreaterThanOrEqual d.Low 0.0 "every paired replicate difference is ≥ 0"
            // independent draws for the two arms (the unpaired bootstrap) spread far below 0
            let ra = replicates [ a ] 1000 11
            let rb = replicates [ b ] 1000 12
            let struct (lo, _) = PairedBootstrap.Percentile95(Array.map2 (-) ra[0] rb[0])
            Expect.isLessThan lo 0.0 "unpaired resampling crosses 0"
        }
        test "bootstrap intervals cover a known binomial proportion at the nominal rate (within Monte-Carlo error)" {
            // 400 data sets of n = 150 Bernoulli(0.3) items; the percentile interval should contain 0.3 in ~95%
            // of them: Monte-Carlo s.d. √(.95·.05/400) ≈ 1.1 points, so [0.91, 0.985] is about ±3.5 s.d.
            let rng = Random 4
            let p, n, sets = 0.3, 150, 400
            let mutable covered = 0
            let mutable width = 0.0
            for k in 1 .. sets do
                let a = runs [ run [ bernoulli rng p n ] ]
                let reps = replicates [ a ] 400 k
                let e = PairedBootstrap.Value(a, reps[0])
                if e.Contains p then covered <- covered + 1
                width <- width + (e.High - e.Low)
            let coverage = float covered / float sets
            Expect.isTrue (coverage >= 0.91 && coverage <= 0.985) $"coverage {coverage}"
            let expected = 2.0 * 1.959964 * sqrt (p * (1.0 - p) / float n)
            let mean = width / float sets
            Expect.isTrue (abs (mean - expected) / expected < 0.1) $"mean width {mean} vs normal-theory {expected}"
        }
        test "per-seed signs pair run s with run s" {
            let a = runs [ run [ [| 1.0; 1.0 |] ]; run [ [| 0.0; 0.0 |] ]; run [ [| 1.0; 0.0 |] ] ]
            let b = runs [ run [ [| 0.0; 1.0 |] ]; run [ [| 1.0; 0.0 |] ]; run [ [| 0.0; 1.0 |] ] ]
            Expect.equal (PairedBootstrap.Signs(a, b)) "+ − 0" "seed 0 ahead, seed 1 behind, seed 2 tied"
        }
        test "the same seed gives the same replicates; runs on different items are refused" {
            let a = runs [ run [ [| 1.0; 0.0; 1.0 |] ] ]
            let r1, r2 = replicates [ a ] 50 5, replicates [ a ] 50 5
            Expect.equal r1[0] r2[0] "deterministic"
            let other = runs [ run [ [| 1.0; 0.0 |] ] ]
            Expect.throwsT<ArgumentException> (fun () -> replicates [ a; other ] 50 5 |> ignore) "different set sizes"
        }
        test "the percentile interval interpolates like numpy's default (linear)" {
            let struct (lo, hi) = PairedBootstrap.Percentile95([| 0.0 .. 1.0 .. 100.0 |])
            Expect.floatClose Accuracy.veryHigh lo 2.5 "2.5th percentile of 0..100"
            Expect.floatClose Accuracy.veryHigh hi 97.5 "97.5th"
        }
        test "the table: differences from CLIP for every row, from PowerCLIP-S for ablations; missing cells left out" {
            let clip = StudyMethods.All |> Seq.find (fun m -> m.Name = "CLIP")
            let full = StudyMethods.All |> Seq.find (fun m -> m.Name = "PowerCLIP-S")
            let ablation = StudyMethods.All |> Seq.find (fun m -> m.Name = "w/o R2T")
            let arm (hits: float[]) = ArmOutcomes("c", "b", readOnlyDict [ "sugarcrepe/swap_att", hits ])
            let outcomes =
                readOnlyDict [
                    "CLIP", [| arm [| 1.0; 0.0; 0.0; 0.0 |] |] :> IReadOnlyList<_>
                    "PowerCLIP-S", [| arm [| 1.0; 1.0; 1.0; 0.0 |] |] :> IReadOnlyList<_>
                    "w/o R2T", [| arm [| 1.0; 1.0; 0.0; 0.0 |] |] :> IReadOnlyList<_> ]
            let cells = StudyCells.All |> Seq.filter (fun c -> c.Name = "SugarCrepe swap_att") |> Seq.toArray
            let rows = StudyTable.Compute([| clip; full; ablation |], outcomes, cells, 200, 0)
            Expect.hasLength rows 1 "one cell"
            let row = rows[0]
            Expect.floatClose Accuracy.veryHigh (nonNull (row.Of "PowerCLIP-S")).Value 0.75 "3 of 4"
            let diffs =
                (nonNull (row.Of "w/o R2T")).Differences |> Seq.map (fun d -> d.Against, d.Value, d.Signs) |> Seq.toList
            Expect.equal diffs [ "CLIP", 0.25, "+"; "PowerCLIP-S", -0.25, "−" ] "against CLIP and the full method"
            Expect.isEmpty (nonNull (row.Of "CLIP")).Differences "CLIP is the reference"
            let retrieval = StudyCells.All |> Seq.filter (fun c -> c.Name = "retrieval avg") |> Seq.toArray
            let none = StudyTable.Compute([| clip |], outcomes, retrieval, 200, 0)
            Expect.isEmpty none "a cell no arm has outcomes for is left out"
        }
    ]
