using System.CommandLine;
using PowerClip.Model;
using PowerClip.Train.Performance;
using TorchSharp;

using PowerClip.Train;

namespace PowerClip.Cli.Commands;

/// <summary>
/// `powerclip bench memory`: the per-GPU (per-rank) memory of one training step from the analytic model
/// (<see cref="MemoryModel"/>); `--measure` also runs the step on this machine's CPU and prints the measured peak
/// growth against the model's (<see cref="MemoryProbe"/>; one configuration per process).
/// </summary>
public static class BenchMemoryCommand
{
    public static Command Create()
    {
        var runtime = new RuntimeOptions();
        var preset = Default("--preset", "Model preset (tiny, small, demo, vit-b-16) or a JSON file", "vit-b-16");
        var batch = Default("--batch-size", "Local batch size (per GPU / rank)", 512);
        var loss = Default("--loss", "Objective: clip or powerclip (the head differs)", "powerclip");
        var precision = Default("--precision", "fp32 or bf16 (the transformer blocks)", "fp32");
        var checkpointing = new Option<bool>("--grad-checkpointing")
        {
            Description = "Activation checkpointing of every block",
        };
        var ranks = Default("--ranks", "Data-parallel ranks K (global batch K × batch size)", 1);
        var negatives = Default("--negatives", "local or global (with --ranks > 1)", "local");
        var regions = Default("--regions", "Regions M per image", 10);
        var words = Default("--words", "Words per caption (nodes ≈ words − 1)", 10);
        var measure = new Option<bool>("--measure")
        {
            Description = "Also run the step on this CPU and compare its peak memory growth with the model's",
        };
        var command = new Command("memory",
            "Per-GPU memory of a training step: parameters, gradients, AdamW, activations, loss head, gathered data")
        {
            preset, batch, loss, precision, checkpointing, ranks, negatives, regions, words, measure,
        };
        runtime.AddTo(command);
        command.SetAction(r =>
        {
            var s = Settings(r.GetValue(preset)!, r.GetValue(batch), r.GetValue(loss)!, r.GetValue(precision)!,
                             r.GetValue(checkpointing), r.GetValue(ranks), r.GetValue(negatives)!, r.GetValue(regions),
                             r.GetValue(words));
            var lines = MemoryModel.Estimate(s);
            Console.WriteLine($"{s.Model.Name}, {s.Objective}, batch {s.Batch} per rank × {s.Ranks} rank(s), " +
                              $"M = {s.Regions}, {s.Words} words, {Autocast.Names.NameOf(s.Precision)}, " +
                              $"checkpointing {(s.GradCheckpointing ? "on" : "off")}" +
                              (s.Ranks > 1 ? $", {LossSettingNames.Negatives.NameOf(s.Negatives)} negatives" : ""));
            Console.WriteLine("| part | memory | counted as |");
            Console.WriteLine("|---|---|---|");
            foreach (var l in lines)
                Console.WriteLine($"| {l.Part}{(l.AtPeak ? "" : " (backward, not at once)")} | " +
                                  $"{MemoryModel.Mb(l.Bytes)} | {l.Detail} |");
            Console.WriteLine($"| **peak per rank** | **{MemoryModel.Mb(MemoryModel.Peak(lines))}** | " +
                              "everything saved + the larger backward working set |");
            if (r.GetValue(measure)) Measure(runtime.Apply(r), s, lines);
            return 0;
        });
        return command;
    }

    private static void Measure((torch.Device Device, int Threads) runtime, MemorySettings s,
                                IReadOnlyList<MemoryLine> lines)
    {
        var (device, threads) = runtime;
        if (device.type != DeviceType.CPU)
            throw new UsageException("--measure reads the process's memory: use --device cpu");
        var m = MemoryProbe.Measure(s);
        double Gflops(torch.ScalarType t) => FlopCount.MatmulPeak(device, 1024, 5, t) / 1e9;
        Console.WriteLine($"matmul 1024² on this CPU: float32 {Gflops(torch.ScalarType.Float32):F1} GFLOP/s, " +
                          $"bfloat16 {Gflops(torch.ScalarType.BFloat16):F1} GFLOP/s");
        var predicted = MemoryProbe.Predicted(lines, m.GradientsFreed);
        var saved = MemoryProbe.Saved(lines);
        var excluded = m.GradientsFreed ? "" : ", gradients";
        Console.WriteLine($"measured on the CPU ({threads} threads), growth during one step, against the model's " +
                          $"peak less parameters, AdamW state, inputs{excluded} ({MemoryModel.Mb(predicted)}):");
        Console.WriteLine($"  peak of malloc's bytes in use {MemoryModel.Mb(m.InUsePeakBytes)}: " +
                          $"measured/model {m.InUsePeakBytes / predicted:F3}");
        Console.WriteLine($"  peak resident set (VmHWM) {MemoryModel.Mb(m.PeakDeltaBytes)}: " +
                          $"measured/model {m.PeakDeltaBytes / predicted:F3}");
        Console.WriteLine($"  kept for the backward (in use after the loss) {MemoryModel.Mb(m.SavedBytes)}, " +
                          $"model {MemoryModel.Mb(saved)}: measured/model {m.SavedBytes / saved:F3}");
        Console.WriteLine($"  step ms {string.Join(", ", m.StepMs.Select(x => x.ToString("F0")))}; " +
                          $"load average {BenchCommand.LoadAverage()}");
    }

    private static Option<T> Default<T>(string name, string description, T value) =>
        new(name) { Description = description, DefaultValueFactory = _ => value };

    private static MemorySettings Settings(string preset, int batch, string loss, string precision, bool checkpointing,
                                           int ranks, string negatives, int regions, int words)
    {
        try
        {
            if (batch < 2) throw new ArgumentException($"--batch-size must be ≥ 2, got {batch}");
            if (ranks < 1) throw new ArgumentException($"--ranks must be ≥ 1, got {ranks}");
            if (regions < 1 || words < 2) throw new ArgumentException("--regions must be ≥ 1 and --words ≥ 2");
            if (loss is not ("clip" or "powerclip"))
                throw new ArgumentException($"--loss '{loss}' is not valid: expected clip or powerclip");
            return new MemorySettings(Presets.Load(preset), batch, loss, regions, words,
                                      Autocast.Names.Parse(precision, "--precision"), checkpointing, ranks,
                                      LossSettingNames.Negatives.Parse(negatives, "--negatives"));
        }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException)
        {
            throw new UsageException(e.Message);
        }
    }
}
