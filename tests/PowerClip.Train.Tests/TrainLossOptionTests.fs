/// The `train` options for the score forms (--t2r, --r2t, --r2t-subsets, --zeta-reading linear): how they map onto
/// PowerClipLossConfig, their one-line errors, and a short run with all of them.
module PowerClip.Train.Tests.TrainLossOptionTests

open System
open System.CommandLine
open System.IO
open Expecto
open PowerClip.Model
open PowerClip.Cli.Commands
open PowerClip.Train.Tests.CliRunner

let private build (args: string list) : PowerClipLossConfig =
    let options = TrainOptions()
    let command = RootCommand()
    for o in options.All do command.Options.Add o
    (options.Build(command.Parse(Array.ofList args))).LossSettings.PowerClip

[<Tests>]
let tests =
    testSequenced <| testList "train loss options" [
        test "defaults: NLA-T1, NLA-T2 over all subsets, lower reading" {
            let c = build []
            let expected = T2RMethod.Nla, R2TMethod.NlaT2, SubsetRange.All, ZetaReading.ZetaWeightsLower
            Expect.equal (c.T2R, c.R2T, c.R2TSubsets, c.Reading) expected "defaults"
        }
        test "config.json states λ and δ on the paper's literal S̄; --recipe paper trains that form" {
            let config (scale: ScoreScale) =
                PowerClip.Train.Training.TrainConfig(
                    Regions = 10,
                    LossSettings = ObjectiveSettings(PowerClip = PowerClipLossConfig(Lambda = 0.2, Delta = 0.3,
                                                                                     Scale = scale)))
            let literal (c: PowerClip.Train.Training.TrainConfig) =
                match c.PowerclipLiteralForm with
                | null -> failtest "no literal form for PowerCLIP"
                | f -> f.Lambda, f.Delta
            let near (l, d) (l', d') = abs (l - l') < 1e-12 && abs (d - d') < 1e-12
            Expect.isTrue (near (literal (config ScoreScale.RegionMean)) (0.02, 3.0)) "region-mean: λ/M and δ·M"
            Expect.isTrue (near (literal (config ScoreScale.Sum)) (0.2, 0.3)) "sum: as given"
            let json = (config ScoreScale.RegionMean).ToJson()
            Expect.stringContains json "\"powerclip_literal_form\"" "written into config.json"
            let path = Path.Combine(Path.GetTempPath(), $"literal-{Guid.NewGuid():N}.json")
            File.WriteAllText(path, json)
            let back = PowerClip.Train.Training.TrainConfig.Load path
            File.Delete path
            Expect.equal back.LossSettings.PowerClip.Delta 0.3 "and read back (the derived field is ignored on read)"
            Expect.isNull (PowerClip.Train.Training.TrainConfig(Loss = "clip").PowerclipLiteralForm)
                "only for PowerCLIP"
            let paper = PowerClip.Train.Training.TrainConfig.PaperRecipe("/data/cc12m-{000..999}.tar", "clip:/x.txt.gz")
            Expect.equal paper.LossSettings.PowerClip.Scale ScoreScale.Sum "the paper's literal S̄"
            Expect.isTrue (near (literal paper) (0.2, 0.2)) "λ = 0.2 on it"
        }
        test "each option maps onto its field" {
            Expect.equal (build [ "--t2r"; "exact-relu" ]).T2R T2RMethod.ExactRelu "--t2r exact-relu"
            Expect.equal (build [ "--t2r"; "nla" ]).T2R T2RMethod.Nla "--t2r nla"
            let mc = build [ "--r2t"; "monte-carlo:24" ]
            Expect.equal (mc.R2T, mc.MonteCarloSamples) (R2TMethod.MonteCarlo, 24) "--r2t monte-carlo:24"
            Expect.equal (build [ "--r2t"; "nla-t2" ]).R2T R2TMethod.NlaT2 "--r2t nla-t2"
            Expect.equal (build [ "--r2t-subsets"; "non-empty" ]).R2TSubsets SubsetRange.NonEmpty "--r2t-subsets"
            Expect.equal (build [ "--zeta-reading"; "linear" ]).Reading ZetaReading.LinearInterpolation "--zeta-reading"
        }
        test "bad values are one-line usage errors naming the option" {
            let out = Path.Combine(Path.GetTempPath(), "powerclip-tests", Guid.NewGuid().ToString("N"))
            let expectError (args: string list) (mention: string) =
                expectOneLineError (run ("train" :: "--out" :: out :: args)) 2 mention
            expectError [ "--t2r"; "relu" ] "--t2r 'relu'"
            expectError [ "--r2t"; "monte-carlo:0" ] "--r2t 'monte-carlo:0'"
            expectError [ "--r2t"; "monte-carlo:x" ] "--r2t 'monte-carlo:x'"
            expectError [ "--r2t"; "mc" ] "--r2t 'mc'"
            expectError [ "--r2t-subsets"; "some" ] "--r2t-subsets 'some'"
            expectError [ "--zeta-reading"; "upper" ] "--zeta-reading 'upper'"
        }
        test "a short run with every non-default score form trains and records them in config.json" {
            let out = Path.Combine(Path.GetTempPath(), "powerclip-tests", Guid.NewGuid().ToString("N"))
            let r =
                run [ "train"; "--out"; out; "--model"; "tiny"; "--loss"; "powerclip"; "--steps"; "2"
                      "--batch-size"; "4"; "--world-samples"; "16"; "--regions"; "3"; "--device"; "cpu"
                      "--threads"; "1"; "--checkpoint-every"; "2"; "--t2r"; "exact-relu"; "--r2t"; "monte-carlo:5"
                      "--r2t-subsets"; "non-empty"; "--zeta-reading"; "linear" ]
            Expect.equal r.ExitCode 0 $"train exits 0 ({r.Err})"
            let json = File.ReadAllText(Path.Combine(out, "config.json"))
            let fragments =
                [ "\"t2r\": \"exact_relu\""; "\"r2t\": \"monte_carlo\""; "\"monte_carlo_samples\": 5"
                  "\"r2t_subsets\": \"non_empty\"" ]
            for fragment in fragments do
                Expect.stringContains json fragment $"config.json records {fragment}"
        }
    ]
