/// The memory model (`powerclip bench memory`) against measured memory on the CPU, and its command.
module PowerClip.Train.Tests.MemoryModelTests

open Expecto
open TorchSharp
open PowerClip.Model
open PowerClip.Train.Performance
open PowerClip.Train.Tests.CliRunner

/// Within 15% (the issue's bound), both the step's peak and what it keeps for its backward.
let private within15 (measured: float) (model: float) (what: string) =
    Expect.isLessThanOrEqual (abs (measured / model - 1.0)) 0.15
        $"{what}: measured {measured / 1e6:F1} MB, model {model / 1e6:F1} MB"

[<Tests>]
let tests =
    testSequenced <| testList "memory model" [
        test "the model's parameter count is the model's" {
            for preset in [ "tiny"; "small"; "demo" ] do
                let cfg = Presets.Load preset
                use model = new ClipModel(cfg)
                Expect.equal (MemoryModel.Parameters cfg) (model.parameters() |> Seq.sumBy (fun p -> p.numel())) preset
        }
        test "tiny preset on the CPU: a step's peak of malloc's bytes in use and what it keeps for the backward are \
            within 15% of the model" {
            TorchRuntime.Initialize("cpu", 1) |> ignore
            let cases =
                [ "clip", 1024, Precision.Fp32, false
                  "powerclip", 512, Precision.Fp32, false
                  "powerclip", 512, Precision.Bf16, true ]
            for objective, batch, precision, checkpointing in cases do
                let s = MemorySettings(Presets.Load "tiny", batch, objective, Precision = precision,
                                       GradCheckpointing = checkpointing)
                let lines = MemoryModel.Estimate s
                let m = MemoryProbe.Measure(s, steps = 1)
                let suffix = if checkpointing then " checkpointed" else ""
                let what = $"{objective} B = {batch} {precision}{suffix}"
                let predicted, saved = MemoryProbe.Predicted(lines, m.GradientsFreed), MemoryProbe.Saved lines
                printfn $"memory model {what}: peak in use {m.InUsePeakBytes / 1e6:F1} MB vs {predicted / 1e6:F1}, "
                printfn $"  kept {m.SavedBytes / 1e6:F1} MB vs {saved / 1e6:F1}, resident peak \
                    {m.PeakDeltaBytes / 1e6:F1} MB"
                within15 m.InUsePeakBytes predicted $"{what}, peak"
                within15 m.SavedBytes saved $"{what}, kept for the backward"
        }
        test "powerclip bench memory prints every part and the peak for the paper's setting; bad values are one-line \
            usage errors" {
            let r = run [ "bench"; "memory"; "--preset"; "vit-b-16"; "--batch-size"; "512"; "--precision"; "bf16"
                          "--grad-checkpointing"; "--ranks"; "8" ]
            Expect.equal r.ExitCode 0 r.Err
            for part in [ "parameters"; "gradients"; "AdamW state"; "bf16 weight copies";
                          "activations, vision tower (12 blocks)"
                          "activations, text tower (12 blocks)"; "S1 chunks"; "gathered features (local \
                              negatives)"; "peak per rank" ] do
                Expect.stringContains r.Out part $"the table lists {part}"
            Expect.stringContains r.Out "149,620,737 parameters" "ViT-B/16 with our text tower"
            expectOneLineError (run [ "bench"; "memory"; "--precision"; "fp16" ]) 2 "--precision 'fp16' is not valid"
            expectOneLineError (run [ "bench"; "memory"; "--negatives"; "some" ]) 2 "--negatives 'some' is not valid"
        }
    ]
