module PowerClip.Train.Tests.MetricsTests

open System
open Expecto
open PowerClip.Train.Evaluation

let private matrix (rows: float32 list list) = array2D rows

[<Tests>]
let tests =
    testList "evaluation metrics" [
        test "top-k counts a sample when its class is within the k best" {
            let s = matrix [ [ 0.9f; 0.1f; 0.0f ]; [ 0.5f; 0.4f; 0.3f ]; [ 0.1f; 0.2f; 0.3f ] ]
            let labels = [| 0; 1; 0 |]
            Expect.floatClose Accuracy.veryHigh (Metrics.TopK(s, labels, 1)) (1.0 / 3.0)
                "only sample 0 is right at top-1"
            Expect.floatClose Accuracy.veryHigh (Metrics.TopK(s, labels, 2)) (2.0 / 3.0) "sample 1 at rank 2"
            Expect.floatClose Accuracy.veryHigh (Metrics.TopK(s, labels, 3)) 1.0 "all within 3"
        }
        test "a tie with the true class counts against it" {
            Expect.equal (Metrics.TopK(matrix [ [ 0.5f; 0.5f ] ], [| 0 |], 1)) 0.0 "tie is a miss"
        }
        test "recall@k with several relevant targets uses the best-ranked one" {
            let s = matrix [ [ 0.1f; 0.9f; 0.2f; 0.8f ] ]
            let rel = [| [| 0; 3 |] :> Collections.Generic.IReadOnlyCollection<int> |]
            Expect.equal (Metrics.RecallAtK(s, rel, 1)) 0.0 "target 3 ranks second"
            Expect.equal (Metrics.RecallAtK(s, rel, 2)) 1.0 "within 2"
        }
        test "recall@k: relevant targets do not compete with each other; an irrelevant tie does" {
            let rel = [| [| 0; 1 |] :> Collections.Generic.IReadOnlyCollection<int> |]
            Expect.equal (Metrics.RecallAtK(matrix [ [ 0.9f; 0.9f; 0.1f ] ], rel, 1)) 1.0
                "two identical relevant captions"
            Expect.equal (Metrics.RecallAtK(matrix [ [ 0.9f; 0.2f; 0.9f ] ], rel, 1)) 0.0 "tie with an irrelevant one"
        }
        test "pairwise accuracy and Winoground scores" {
            Expect.equal (Metrics.PairwiseAccuracy [| struct (1.0, 0.0); struct (0.0, 1.0); struct (0.5, 0.5);
                                                      struct (2.0, 1.0) |]) 0.5 "2 of 4, tie misses"
            Expect.equal (Metrics.Winoground(1.0, 0.0, 0.0, 1.0)) (struct (true, true, true)) "perfect"
            Expect.equal (Metrics.Winoground(1.0, 0.0, 2.0, 3.0)) (struct (true, false, false))
                "each image prefers its caption, but caption 0 prefers image 1"
        }
        test "Wilson interval contains the estimate and narrows with n" {
            let struct (lo1, hi1) = Metrics.WilsonInterval(7, 10)
            let struct (lo2, hi2) = Metrics.WilsonInterval(700, 1000)
            Expect.isTrue (lo1 < 0.7 && 0.7 < hi1) "contains p"
            Expect.isLessThan (hi2 - lo2) (hi1 - lo1) "narrower with more data"
            // reference values (Wilson 1927 formula, z = 1.96): 7/10 -> [0.3968, 0.8922]
            Expect.floatClose { absolute = 1e-4; relative = 0.0 } lo1 0.3968 "low"
            Expect.floatClose { absolute = 1e-4; relative = 0.0 } hi1 0.8922 "high"
        }
        test "mismatched shapes are rejected with a message" {
            let e = try Metrics.TopK(matrix [ [ 1.0f ] ], [| 0; 1 |],
                                     1) |> ignore; "" with :? ArgumentException as e -> e.Message
            Expect.stringContains e "2 labels" "names the mismatch"
        }
    ]
