module PowerClip.Train.Tests.DemoTests

open System
open System.IO
open System.Text.Json
open Expecto
open TorchSharp
open PowerClip.Train.Demo

[<Tests>]
let tests =
    testSequenced <| testList "demo" [
        test "the demo pipeline trains both arms, evaluates them and writes the report, then reuses saved work" {
            let out = Path.Combine(Path.GetTempPath(), "powerclip-tests", Guid.NewGuid().ToString("N"))
            let settings =
                DemoSettings(Steps = 2, BatchSize = 8, WorldSamples = 24, Regions = 4, BenchmarkItems = 8,
                             ZeroShotPerClass = 1)
            let outcome = DemoPipeline(settings, out, torch.CPU, 2).Run()
            for arm in DemoPipeline.Arms do
                Expect.isTrue (File.Exists(Path.Combine(out, arm, "checkpoints", "step-0000002", "model.safetensors")))
                    $"{arm} trained"
                let benchmarks = outcome.Evaluations[arm].Rows |> Seq.map (fun struct (b, _, _) -> b) |> Set.ofSeq
                Expect.equal benchmarks (set [ "zeroshot"; "retrieval"; "sugarcrepe"; "winoground"; "aro" ])
                    $"{arm}: every benchmark"
            let html = File.ReadAllText(Path.Combine(out, "report.html"))
            for arm in DemoPipeline.Arms do
                let g = outcome.Evaluations[arm].Grounding
                Expect.isNotNull g $"{arm}: grounding evaluated"
                Expect.isGreaterThan (nonNull g).All.Pointing.Total 0 $"{arm}: phrases scored"
            for part in [ "Accuracy on the held-out benchmarks"; "Grounding accuracy"; "mean IoU"; "training loss"
                          "data:image/png;base64,"; "Environment and configuration" ] do
                Expect.stringContains html part $"report has {part}"
            use results = JsonDocument.Parse(File.ReadAllText(Path.Combine(out, "results.json")))
            let clip = results.RootElement.GetProperty("results").GetProperty("clip")
            Expect.isGreaterThan (clip.GetArrayLength()) 10 "results.json lists the metrics"
            let grounding = results.RootElement.GetProperty("grounding").GetProperty("powerclip").GetProperty("types")
            let phrases = grounding.GetProperty("all").GetProperty("n").GetInt32()
            Expect.isGreaterThan phrases 0 "results.json: grounding per phrase type"
            // a second run reuses both trained arms: the checkpoints are not rewritten
            let stamp = File.GetLastWriteTimeUtc(Path.Combine(out, "clip", "checkpoints", "step-0000002",
                                                              "model.safetensors"))
            DemoPipeline(settings, out, torch.CPU, 2).Run() |> ignore
            Expect.equal (File.GetLastWriteTimeUtc(Path.Combine(out, "clip", "checkpoints", "step-0000002",
                                                                "model.safetensors"))) stamp "not retrained"
            // and refuses a folder trained with other settings
            let other = DemoSettings(Steps = 3, BatchSize = 8, WorldSamples = 24, Regions = 4, BenchmarkItems = 8,
                                     ZeroShotPerClass = 1)
            let e =
                try DemoPipeline(other, out, torch.CPU,
                                 2).Run() |> ignore; "" with :? InvalidOperationException as e -> e.Message
            Expect.stringContains e "other settings" "one clear message"
        }
    ]
