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
let private budget = StudyBudget.Quick
let private implemented = StudyMethods.All |> Seq.filter (fun m -> m.Implemented) |> Seq.toList
let private arms = [ for m in implemented do for s in budget.Seeds -> m, s ]

/// One libtorch thread, as `powerclip study --budget quick` takes (StudyCommand), restored afterwards.
let private runStudy () =
    use log = new StringWriter()
    let threads = torch.get_num_threads()
    torch.set_num_threads 1
    try
        let outcome = StudyPipeline(budget, StudyMethods.All, out, torch.CPU, 1).Run(log)
        outcome, log.ToString()
    finally
        torch.set_num_threads threads

let private runDir (m: StudyMethod) (seed: int) = Path.Combine(out, "runs", $"{m.Slug}-seed{seed}")
let private finalWeights (m: StudyMethod) (seed: int) =
    Path.Combine(runDir m seed, "checkpoints", $"step-{budget.Steps:D7}", "model.safetensors")
let private stamps (file: StudyMethod -> int -> string) = [ for m, s in arms -> File.GetLastWriteTimeUtc(file m s) ]

/// The first run, shared by the tests below (they are sequenced): outcome, log, CPU and wall seconds.
let private first =
    lazy (
        let cpu = Process.GetCurrentProcess().TotalProcessorTime
        let clock = Stopwatch.StartNew()
        let outcome, log = runStudy ()
        outcome, log, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds, clock.Elapsed.TotalSeconds)

let private expectCell (outcome: StudyOutcome) (cell: string) =
    let row = outcome.Table |> Seq.tryFind (fun r -> r.Cell = cell)
    Expect.isSome row $"cell {cell}"
    for m in implemented do
        let c = row.Value.Of m.Name |> nonNull
        Expect.isTrue (0.0 <= c.Low && c.Low <= c.Value + 1e-12 && c.Value <= c.High + 1e-12 && c.High <= 1.0)
            $"{cell} {m.Name}: {c.Low} ≤ {c.Value} ≤ {c.High}"
        if m.Name <> StudyMethods.Reference then
            let d = c.Differences |> Seq.find (fun d -> d.Against = StudyMethods.Reference)
            Expect.equal (d.Signs.Split(' ').Length) budget.Seeds.Count "one sign per seed"

[<Tests>]
let tests =
    testSequenced <| testList "study" [
        test "the quick budget trains and evaluates every implemented arm, lists the others, and writes the report" {
            let outcome, log, cpu, wall = first.Value
            printfn $"study, quick budget: {wall:F0} s wall, {cpu:F0} s CPU in this process"
            Expect.equal outcome.Arms.Count arms.Length "one arm per implemented method and seed"
            for a in outcome.Arms do Expect.equal a.Outcome RunOutcome.Trained $"{a.Method} seed {a.Seed} trained"
            for m, s in arms do Expect.isTrue (File.Exists(finalWeights m s)) $"{m.Name} seed {s}: final checkpoint"
            Expect.stringContains log $"arm {arms.Length}/{arms.Length}" "a progress line per arm"
            Expect.stringContains log "ETA" "with an ETA"
            Expect.stringContains log "smoke test" "the quick budget says it is a smoke test"
            for cell in [ "classification avg"; "retrieval avg"; "robustness avg"; "SugarCrepe swap_att"
                          "Winoground group"; "ARO relation"; "pointing: relation"; "IoU: object" ] do
                expectCell outcome cell
            let html = File.ReadAllText(Path.Combine(out, "report.html"))
            Expect.stringContains html "SMOKE TEST" "the report says what the quick budget is"
            for m in StudyMethods.All |> Seq.filter (fun m -> not m.Implemented) do
                Expect.stringContains html $"{m.Name} (--loss {m.Loss})" "listed as not implemented"
            use json = JsonDocument.Parse(File.ReadAllText(Path.Combine(out, "results.json")))
            let methods = json.RootElement.GetProperty("methods").GetArrayLength()
            Expect.equal methods StudyMethods.All.Count "every method, implemented or not"
            Expect.isTrue (json.RootElement.GetProperty("smoke_test").GetBoolean()) "flagged"
            Expect.stringContains (File.ReadAllText(Path.Combine(out, "results.md"))) "| CLIP |" "markdown tables"
            // PowerCLIP without its triplet term is CLIP (the paper's two rows are identical): the same weights
            let clip = StudyMethods.All |> Seq.find (fun m -> m.Name = StudyMethods.Reference)
            let noTriplet = StudyMethods.All |> Seq.find (fun m -> m.Loss = "powerclip-no-triplet")
            for s in budget.Seeds do
                Expect.equal (File.ReadAllBytes(finalWeights noTriplet s)) (File.ReadAllBytes(finalWeights clip s))
                    $"seed {s}: w/o triplet trains exactly CLIP"
        }
        test "a rerun reuses every finished arm and its outcomes, and reproduces the table" {
            let before, _, _, _ = first.Value
            let weights = stamps finalWeights
            let outcomes = stamps (fun m s -> Path.Combine(runDir m s, ArmOutcomes.FileName))
            let again, log = runStudy ()
            for a in again.Arms do Expect.equal a.Outcome RunOutcome.Reused $"{a.Method} seed {a.Seed} reused"
            Expect.stringContains log "finished before, reusing" "said so"
            Expect.equal (stamps finalWeights) weights "no checkpoint rewritten"
            Expect.equal (stamps (fun m s -> Path.Combine(runDir m s, ArmOutcomes.FileName))) outcomes "not evaluated"
            let values (o: StudyOutcome) =
                [ for r in o.Table do for c in r.Methods -> r.Cell, c.Method, c.Value, c.Low, c.High ]
            Expect.equal (values again) (values before) "the same table"
        }
        test "a half-trained arm resumes from its latest checkpoint and ends with the uninterrupted run's weights" {
            first.Force() |> ignore
            let clip = implemented |> List.find (fun m -> m.Name = StudyMethods.Reference)
            let weights = File.ReadAllBytes(finalWeights clip 0)
            // as if killed after the checkpoint of step 9 (checkpoints every Steps / 4 = 3 steps, the last 3 kept)
            Directory.Delete(Path.GetDirectoryName(finalWeights clip 0) |> nonNull, true)
            let again, _ = runStudy ()
            let arm = again.Arms |> Seq.find (fun a -> a.Method = clip.Name && a.Seed = 0)
            Expect.equal arm.Outcome RunOutcome.Resumed "resumed, not retrained"
            Expect.equal (File.ReadAllBytes(finalWeights clip 0)) weights "the uninterrupted run's final weights"
            for a in again.Arms do
                if a.Method <> clip.Name || a.Seed <> 0 then
                    Expect.equal a.Outcome RunOutcome.Reused $"{a.Method} seed {a.Seed}"
        }
        test "study: bad options are one-line usage errors, and nothing is written" {
            let cli = Path.Combine(out, "cli")
            let study (args: string list) = run ([ "study"; "--out"; cli; "--device"; "cpu" ] @ args)
            expectOneLineError (study [ "--methods"; "CLIP,Foo" ]) 2 "unknown study method 'Foo'"
            expectOneLineError (study [ "--seeds"; "0,x" ]) 2 "'x' is not an integer"
            expectOneLineError (study [ "--seeds"; "1,1" ]) 2 "seeds repeat"
            expectOneLineError (study [ "--steps"; "0" ]) 2 "--steps must be >= 1"
            expectOneLineError (study [ "--budget"; "huge" ]) 2 "huge"
            Expect.isFalse (Directory.Exists cli) "nothing written"
        }
    ]
