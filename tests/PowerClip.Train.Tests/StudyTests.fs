/// `powerclip study`: the quick budget end to end, resumability, and the command's usage errors.
module PowerClip.Train.Tests.StudyTests

open System
open System.Diagnostics
open System.IO
open System.Text.Json
open Expecto
open TorchSharp
open PowerClip.Train.Experiments
open PowerClip.Train.Study
open PowerClip.Train.Tests.CliRunner

let private out = Path.Combine(Path.GetTempPath(), "powerclip-tests", "study-" + Guid.NewGuid().ToString("N"))

let private runStudy () =
    let log = new StringWriter()
    let outcome = StudyPipeline(StudyBudget.Quick, StudyMethods.All, out, torch.CPU, 2).Run(log)
    outcome, log.ToString()

let private implemented = StudyMethods.All |> Seq.filter (fun m -> m.Implemented) |> Seq.toList
let private finalWeights (m: StudyMethod) (seed: int) =
    Path.Combine(out, "runs", $"{m.Slug}-seed{seed}", "checkpoints", $"step-{StudyBudget.Quick.Steps:D7}", "model.safetensors")

/// The first run, shared by the tests below (they are sequenced): its outcome, log and CPU seconds.
let private first =
    lazy (
        let cpu = Process.GetCurrentProcess().TotalProcessorTime
        let clock = Stopwatch.StartNew()
        let outcome, log = runStudy ()
        outcome, log, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds, clock.Elapsed.TotalSeconds)

[<Tests>]
let tests =
    testSequenced <| testList "study" [
        test "the quick budget trains and evaluates every implemented arm, lists the others, and writes the report" {
            let outcome, log, cpu, wall = first.Value
            printfn $"study quick budget: {wall:F0} s wall, {cpu:F0} s CPU in this process"
            let seeds = StudyBudget.Quick.Seeds
            Expect.equal outcome.Arms.Count (implemented.Length * seeds.Count) "one arm per implemented method and seed"
            for a in outcome.Arms do Expect.equal a.Outcome RunOutcome.Trained $"{a.Method} seed {a.Seed} trained"
            for m in implemented do for s in seeds do Expect.isTrue (File.Exists(finalWeights m s)) $"{m.Name} seed {s}: final checkpoint"
            Expect.stringContains log $"arm {outcome.Arms.Count}/{outcome.Arms.Count}" "a progress line per arm"
            Expect.stringContains log "ETA" "with an ETA"
            Expect.stringContains log "smoke test" "the quick budget says it is a smoke test"
            for cell in [ "classification avg"; "retrieval avg"; "robustness avg"; "SugarCrepe swap_att"; "Winoground group"; "ARO relation"; "pointing: relation"; "IoU: object" ] do
                let row = outcome.Table |> Seq.tryFind (fun r -> r.Cell = cell)
                Expect.isSome row $"cell {cell}"
                for m in implemented do
                    let c = row.Value.Of m.Name
                    Expect.isNotNull c $"{cell}: {m.Name}"
                    let c = nonNull c
                    Expect.isTrue (c.Low <= c.Value + 1e-12 && c.Value <= c.High + 1e-12 && c.Low >= 0.0 && c.High <= 1.0) $"{cell} {m.Name}: {c.Low} ≤ {c.Value} ≤ {c.High}"
                    if m.Name <> "CLIP" then
                        let d = c.Differences |> Seq.find (fun d -> d.Against = "CLIP")
                        Expect.equal (d.Signs.Split(' ').Length) seeds.Count "one sign per seed"
            let html = File.ReadAllText(Path.Combine(out, "report.html"))
            Expect.stringContains html "SMOKE TEST" "the report says what the quick budget is"
            for m in StudyMethods.All |> Seq.filter (fun m -> not m.Implemented) do Expect.stringContains html $"{m.Name} (--loss {m.Loss})" "listed as not implemented"
            use json = JsonDocument.Parse(File.ReadAllText(Path.Combine(out, "results.json")))
            Expect.equal (json.RootElement.GetProperty("methods").GetArrayLength()) StudyMethods.All.Count "every method, implemented or not"
            Expect.isTrue (json.RootElement.GetProperty("smoke_test").GetBoolean()) "flagged"
            Expect.stringContains (File.ReadAllText(Path.Combine(out, "results.md"))) "| CLIP |" "markdown tables"
        }
        test "a rerun reuses every finished arm and its outcomes, and reproduces the table" {
            let before, _, _, _ = first.Value
            let stamps = [ for m in implemented do for s in StudyBudget.Quick.Seeds -> File.GetLastWriteTimeUtc(finalWeights m s) ]
            let outcomes = Directory.GetFiles(Path.Combine(out, "runs"), ArmOutcomes.FileName, SearchOption.AllDirectories) |> Array.map File.GetLastWriteTimeUtc
            let again, log = runStudy ()
            for a in again.Arms do Expect.equal a.Outcome RunOutcome.Reused $"{a.Method} seed {a.Seed} reused"
            Expect.stringContains log "finished before, reusing" "said so"
            Expect.equal [ for m in implemented do for s in StudyBudget.Quick.Seeds -> File.GetLastWriteTimeUtc(finalWeights m s) ] stamps "no checkpoint rewritten"
            Expect.equal (Directory.GetFiles(Path.Combine(out, "runs"), ArmOutcomes.FileName, SearchOption.AllDirectories) |> Array.map File.GetLastWriteTimeUtc) outcomes "no arm re-evaluated"
            let values (o: StudyOutcome) = [ for r in o.Table do for c in r.Methods -> r.Cell, c.Method, c.Value, c.Low, c.High ]
            Expect.equal (values again) (values before) "the same table"
        }
        test "a half-trained arm resumes from its latest checkpoint and ends with the weights of the uninterrupted run" {
            let clip = implemented |> List.find (fun m -> m.Name = "CLIP")
            let weights = File.ReadAllBytes(finalWeights clip 0)
            let run = Path.Combine(out, "runs", "clip-seed0")
            Directory.Delete(Path.GetDirectoryName(finalWeights clip 0) |> nonNull, true)   // as if killed after step 9's checkpoint
            let again, _ = runStudy ()
            let arm = again.Arms |> Seq.find (fun a -> a.Method = "CLIP" && a.Seed = 0)
            Expect.equal arm.Outcome RunOutcome.Resumed "resumed, not retrained"
            Expect.isTrue (File.Exists(Path.Combine(run, "checkpoints", "step-0000009", "model.safetensors"))) "from step 9"
            Expect.equal (File.ReadAllBytes(finalWeights clip 0)) weights "the same final weights as without the interruption"
            for a in again.Arms |> Seq.filter (fun a -> a.Method <> "CLIP" || a.Seed <> 0) do Expect.equal a.Outcome RunOutcome.Reused $"{a.Method} seed {a.Seed}"
        }
        test "study: bad options are one-line usage errors" {
            let study (args: string list) = run ([ "study"; "--out"; Path.Combine(out, "cli"); "--device"; "cpu" ] @ args)
            expectOneLineError (study [ "--methods"; "CLIP,Foo" ]) 2 "unknown study method 'Foo'"
            expectOneLineError (study [ "--seeds"; "0,x" ]) 2 "'x' is not an integer"
            expectOneLineError (study [ "--seeds"; "1,1" ]) 2 "seeds repeat"
            expectOneLineError (study [ "--steps"; "0" ]) 2 "--steps must be >= 1"
            expectOneLineError (study [ "--budget"; "huge" ]) 2 "huge"
            Expect.isFalse (Directory.Exists(Path.Combine(out, "cli"))) "nothing written"
        }
    ]
