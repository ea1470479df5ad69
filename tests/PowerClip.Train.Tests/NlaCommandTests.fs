module PowerClip.Train.Tests.NlaCommandTests

open System
open System.IO
open System.Text.Json
open Expecto
open PowerClip.Spec
open PowerClip.Train.Tests.CliRunner

let private tempDir () : string =
    let d = Path.Combine(Path.GetTempPath(), "powerclip-tests-" + Guid.NewGuid().ToString("N"))
    Directory.CreateDirectory d |> ignore
    d

let private writeCase (json: string) : string =
    let path = Path.Combine(tempDir (), "case.json")
    File.WriteAllText(path, json)
    path

let private expectUsageError (r: CliResult) (mentions: string) = expectOneLineError r 2 mentions

let private good =
    """{"s0": [[0.3, -0.1, 0.2], [-0.4, 0.6, 0.1]], "nodes": [[0, 1], [0, 1, 2], [1]], "tau": 0.01, "zeta": 0.75}"""

[<Tests>]
let tests =
    testSequenced <| testList "cli.nla" [
        test "nla eval prints one JSON object whose values match PowerClip.Math" {
            let r = run [ "nla"; "eval"; "--input"; writeCase good ]
            Expect.equal r.ExitCode 0 $"exit 0 (stderr: {r.Err})"
            use doc = JsonDocument.Parse(r.Out)
            let get (k: string) = doc.RootElement.GetProperty(k).GetDouble()
            let s0 = array2D [ [ 0.3; -0.1; 0.2 ]; [ -0.4; 0.6; 0.1 ] ]
            let tree = { LeafCount = 3; Nodes = [| [| 0; 1 |]; [| 0; 1; 2 |]; [| 1 |] |] }
            Expect.equal (get "r2t_exact") (Powerset.r2tExact s0 tree) "r2t_exact"
            Expect.equal (get "t2r_exact") (Powerset.t2rExact s0 tree) "t2r_exact"
            Expect.equal (get "r2t_lse") (Powerset.r2tLse 0.01 s0 tree) "r2t_lse"
            Expect.equal (get "nla_t1") (Nla.t1 0.01 s0 tree) "nla_t1"
            Expect.equal (get "nla_t2") (Nla.t2 0.01 0.75 ZetaWeightsLower s0 tree) "nla_t2 uses the default reading"
            Expect.equal (get "r2t_upper") (Nla.upper 0.01 s0 tree) "r2t_upper"
            Expect.equal (get "r2t_lower") (Nla.lower 0.01 s0 tree) "r2t_lower"
            Expect.equal (get "t2r_relu") (Estimators.t2rRelu s0 tree) "t2r_relu"
            Expect.equal (get "r2t_delta") (Estimators.r2tDelta 0.01 s0 tree) "r2t_delta"
            Expect.isTrue (abs (get "r2t_monte_carlo" - get "r2t_exact") <= get "r2t_monte_carlo_half_width")
                "MC within its bound"
            Expect.equal (doc.RootElement.GetProperty("zeta_reading").GetString()) "lower" "default reading stated"
            Expect.floatClose Accuracy.high (Nla.t2 0.01 (get "zeta_star") ZetaWeightsLower s0 tree) (get "r2t_lse")
                "NLA-T2 at zeta* = r2t_lse"
        }
        test "nla eval honours zeta_reading = logcosh" {
            let json = good.Replace("\"zeta\": 0.75", "\"zeta\": 0.75, \"zeta_reading\": \"logcosh\"")
            let r = run [ "nla"; "eval"; "--input"; writeCase json ]
            Expect.equal r.ExitCode 0 $"exit 0 (stderr: {r.Err})"
            use doc = JsonDocument.Parse(r.Out)
            Expect.equal (doc.RootElement.GetProperty("log_cosh_weight").GetDouble()) 0.75 "weight = zeta"
        }
        test "nla eval: ragged rows" {
            expectUsageError (run [ "nla"; "eval"; "--input";
                                    writeCase (good.Replace("[-0.4, 0.6, 0.1]", "[-0.4, 0.6]")) ]) "ragged"
        }
        test "nla eval: empty tree" {
            expectUsageError (run [ "nla"; "eval"; "--input";
                                    writeCase (good.Replace("[[0, 1], [0, 1, 2], [1]]", "[]")) ]) "nodes is empty"
        }
        test "nla eval: leaf index out of range" {
            expectUsageError (run [ "nla"; "eval"; "--input"; writeCase (good.Replace("[0, 1, 2]", "[0, 1, 7]")) ])
                "leaf index 7"
        }
        test "nla eval: non-finite and non-numeric entries" {
            expectUsageError (run [ "nla"; "eval"; "--input"; writeCase (good.Replace("0.3", "1e999")) ]) "s0[0][0]"
            expectUsageError (run [ "nla"; "eval"; "--input"; writeCase (good.Replace("0.3", "\"NaN\"")) ])
                "finite number"
        }
        test "nla eval: M too large for the exact sums" {
            let rows = String.Join(", ", Array.create 21 "[0.1, 0.2, 0.3]")
            expectUsageError (run [ "nla"; "eval"; "--input";
                                    writeCase (good.Replace("[[0.3, -0.1, 0.2], [-0.4, 0.6, 0.1]]",
                                                            $"[{rows}]")) ]) "21 regions"
        }
        test "nla eval: bad tau, zeta, zeta_reading, missing field, missing file, broken JSON" {
            expectUsageError (run [ "nla"; "eval"; "--input"; writeCase (good.Replace("\"tau\": 0.01", "\"tau\": 0")) ])
                "tau"
            expectUsageError (run [ "nla"; "eval"; "--input";
                                    writeCase (good.Replace("\"zeta\": 0.75", "\"zeta\": 2")) ]) "zeta"
            let withReading = good.Replace("\"zeta\": 0.75", "\"zeta\": 0.75, \"zeta_reading\": \"upper\"")
            expectUsageError (run [ "nla"; "eval"; "--input"; writeCase withReading ]) "zeta_reading"
            expectUsageError (run [ "nla"; "eval"; "--input"; writeCase (good.Replace("\"tau\": 0.01, ", "")) ])
                "missing field \"tau\""
            expectUsageError (run [ "nla"; "eval"; "--input"; "/nonexistent/case.json" ]) "not found"
            expectUsageError (run [ "nla"; "eval"; "--input"; writeCase "{\"s0\": [" ]) "not valid JSON"
        }
        test "nla-accuracy: a small seeded run writes the CSV and a self-contained HTML, and prints how to \
            reproduce it" {
            let out = tempDir ()
            let pairs (out: string) =
                [ "nla-accuracy"; "--study"; "pairs"; "--cases"; "20"; "--taus"; "0.1,0.001"; "--zetas"; "0,0.75"
                  "--regions"; "6"; "--seed"; "3"; "--out"; out ]
            let r = run (pairs out)
            Expect.equal r.ExitCode 0 $"exit 0 (stderr: {r.Err})"
            Expect.stringContains r.Out "reproduce: ./powerclip nla-accuracy --cases 20 --seed 3 --regions 6"
                "prints the command"
            let csv = File.ReadAllLines(Path.Combine(out, "nla-accuracy.csv"))
            Expect.equal csv[0] "tau,zeta,quantity,estimator,cases,pearson_r,mae,mean_error" "CSV header"
            // Per tau: 8 zeta-free series, 2 per zeta.
            Expect.hasLength csv (1 + 2 * (8 + 2 * 2)) "one row per cell and estimator"
            let relu = csv |> Array.find (fun l -> l.StartsWith "0.1,any,t2r,relu_exact,20,")
            Expect.stringEnds relu ",0,0" "the ReLU identity is exact: MAE 0"
            let zetaStar = File.ReadAllLines(Path.Combine(out, "nla-accuracy-zeta-star.csv"))
            Expect.equal zetaStar[0] "tau,cases,mean,q10,q25,median,q75,q90" "zeta* CSV header"
            Expect.hasLength zetaStar 3 "one zeta* row per tau"
            Expect.stringStarts zetaStar[1] "0.1,20," "Theorem 2: zeta* exists for every input"
            let html = File.ReadAllText(Path.Combine(out, "nla-accuracy.html"))
            Expect.stringContains html "Plotly.newPlot" "charts are drawn"
            Expect.isFalse (html.Contains "<script src") "no external script: readable offline"
            Expect.isGreaterThan html.Length 1_000_000 "plotly.js is embedded"
            let again = tempDir ()
            run (pairs again) |> ignore
            Expect.sequenceEqual (File.ReadAllLines(Path.Combine(again, "nla-accuracy.csv"))) csv
                "same seed, same numbers"
            Expect.isFalse (File.Exists(Path.Combine(out, "nla-ranking.csv"))) "--study pairs runs no ranking study"
        }
        test "nla-accuracy --study ranking: a tiny seeded run writes the ranking table (CSV + HTML), both inputs" {
            let args (out: string) =
                [ "nla-accuracy"; "--study"; "ranking"; "--batches"; "3"; "--batch-size"; "4"; "--regions"; "4"
                  "--adversarial-regions"; "5"; "--taus"; "0.01"; "--zetas"; "0.75"; "--mc-ks"; "4"
                  "--bootstrap"; "100"; "--seed"; "2"; "--out"; out ]
            let out = tempDir ()
            let r = run (args out)
            Expect.equal r.ExitCode 0 $"exit 0 (stderr: {r.Err})"
            Expect.stringContains r.Out "--study ranking --batches 3 --batch-size 4" "prints the command"
            let csv = File.ReadAllLines(Path.Combine(out, "nla-ranking.csv"))
            let header = "inputs,regions,batch_size,tau,estimator,reading,zeta,batches,spearman_rows,spearman_rows_lo,"
            Expect.stringStarts csv[0] header "CSV header"
            // Per input model: r2t_lse, lower, upper, delta, NLA-T2 in 3 readings x 1 zeta, Monte Carlo with one K.
            Expect.hasLength csv (1 + 2 * (4 + 3 + 1)) "one row per input model and estimator"
            let has (prefix: string) = csv |> Array.exists (fun l -> l.StartsWith prefix)
            Expect.isTrue (has "clip,4,4,0.01,nla_t2,lower,0.75,3,") "the default reading's row, M = 4"
            Expect.isTrue (has "adversarial,5,4,any,monte_carlo:4,,,3,") "Monte Carlo is tau-free, M = 5"
            let html = File.ReadAllText(Path.Combine(out, "nla-ranking.html"))
            Expect.stringContains html "hardest negative" "the agreement chart"
            Expect.isFalse (html.Contains "<script src") "no external script: readable offline"
            Expect.isFalse (File.Exists(Path.Combine(out, "nla-accuracy.csv"))) "--study ranking runs no per-pair study"
            let again = tempDir ()
            run (args again) |> ignore
            let repeated = File.ReadAllLines(Path.Combine(again, "nla-ranking.csv"))
            Expect.sequenceEqual repeated csv "same seed, same numbers"
        }
        test "nla-accuracy: bad options are one-line usage errors" {
            expectUsageError (run [ "nla-accuracy"; "--cases"; "1"; "--out"; tempDir () ]) "at least 2 cases"
            expectUsageError (run [ "nla-accuracy"; "--taus"; "0.1,abc"; "--out"; tempDir () ]) "'abc'"
            expectUsageError (run [ "nla-accuracy"; "--zetas"; "1.5"; "--cases"; "5"; "--out"; tempDir () ]) "zeta"
            expectUsageError (run [ "nla-accuracy"; "--similarities"; "gaussian" ]) "gaussian"
            expectUsageError (run [ "nla-accuracy"; "--zeta-reading"; "upper" ]) "upper"
            expectUsageError (run [ "nla-accuracy"; "--study"; "all" ]) "--study"
            expectUsageError (run [ "nla-accuracy"; "--study"; "ranking"; "--batch-inputs"; "real" ]) "--batch-inputs"
            let ranking (args: string list) = run ([ "nla-accuracy"; "--study"; "ranking"; "--out"; tempDir () ] @ args)
            expectUsageError (ranking [ "--batches"; "1" ]) "at least 2 batches"
            expectUsageError (ranking [ "--mc-ks"; "2.5" ]) "--mc-ks"
        }
    ]
