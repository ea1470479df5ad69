using System.CommandLine;
using PowerClip.Model;
using PowerClip.Train.Performance;

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
        var preset = new Option<string>("--preset") { Description = "Model preset (tiny, small, demo, vit-b-16) or a JSON file", DefaultValueFactory = _ => "vit-b-16" };
        var batch = new Option<int>("--batch-size") { Description = "Local batch size (per GPU / rank)", DefaultValueFactory = _ => 512 };
        var loss = new Option<string>("--loss") { Description = "Objective: clip or powerclip (the head differs)", DefaultValueFactory = _ => "powerclip" };
        var precision = new Option<string>("--precision") { Description = "fp32 or bf16 (the transformer blocks)", DefaultValueFactory = _ => "fp32" };
        var checkpointing = new Option<bool>("--grad-checkpointing") { Description = "Activation checkpointing of every transformer block" };
        var ranks = new Option<int>("--ranks") { Description = "Data-parallel ranks K (global batch K × batch size)", DefaultValueFactory = _ => 1 };
        var negatives = new Option<string>("--negatives") { Description = "local or global (with --ranks > 1)", DefaultValueFactory = _ => "local" };
        var regions = new Option<int>("--regions") { Description = "Regions M per image", DefaultValueFactory = _ => 10 };
        var words = new Option<int>("--words") { Description = "Words per caption (nodes ≈ words − 1)", DefaultValueFactory = _ => 10 };
        var measure = new Option<bool>("--measure") { Description = "Also run the step on this CPU and compare its peak memory growth with the model's" };
        var command = new Command("memory", "Per-GPU memory of a training step: parameters, gradients, AdamW, activations, loss head, gathered features")
        {
            preset, batch, loss, precision, checkpointing, ranks, negatives, regions, words, measure,
        };
        runtime.AddTo(command);
        command.SetAction(r =>
        {
            var settings = Settings(r.GetValue(preset)!, r.GetValue(batch), r.GetValue(loss)!, r.GetValue(precision)!, r.GetValue(checkpointing),
                                    r.GetValue(ranks), r.GetValue(negatives)!, r.GetValue(regions), r.GetValue(words));
            var lines = MemoryModel.Estimate(settings);
            var s = settings;
            Console.WriteLine($"{s.Model.Name}, {s.Objective}, batch {s.Batch} per rank × {s.Ranks} rank(s), M = {s.Regions}, {s.Words} words, " +
                              $"{Autocast.Names.NameOf(s.Precision)}, checkpointing {(s.GradCheckpointing ? "on" : "off")}" +
                              (s.Ranks > 1 ? $", {LossSettingNames.Negatives.NameOf(s.Negatives)} negatives" : ""));
            Console.WriteLine("| part | memory | counted as |");
            Console.WriteLine("|---|---|---|");
            foreach (var l in lines)
                Console.WriteLine($"| {l.Part}{(l.AtPeak ? "" : " (backward, not at once)")} | {MemoryModel.Mb(l.Bytes)} | {l.Detail} |");
            Console.WriteLine($"| **peak per rank** | **{MemoryModel.Mb(MemoryModel.Peak(lines))}** | everything saved + the larger backward working set |");
            if (!r.GetValue(measure)) return 0;
            var (device, threads) = runtime.Apply(r);
            if (device.type != TorchSharp.DeviceType.CPU) throw new UsageException("--measure reads the process's resident memory: use --device cpu");
            var m = MemoryProbe.Measure(settings);
            double Gflops(TorchSharp.torch.ScalarType t) => FlopCount.MatmulPeak(device, 1024, 5, t) / 1e9;
            Console.WriteLine($"matmul 1024² on this CPU: float32 {Gflops(TorchSharp.torch.ScalarType.Float32):F1} GFLOP/s, " +
                              $"bfloat16 {Gflops(TorchSharp.torch.ScalarType.BFloat16):F1} GFLOP/s");
            var predicted = MemoryProbe.Predicted(lines, m.GradientsFreed);
            var saved = MemoryProbe.Saved(lines);
            Console.WriteLine($"measured on the CPU ({threads} threads), growth during one step, against the model's peak less parameters, AdamW state, " +
                              $"inputs{(m.GradientsFreed ? "" : ", gradients")} ({MemoryModel.Mb(predicted)}):");
            Console.WriteLine($"  peak of malloc's bytes in use {MemoryModel.Mb(m.InUsePeakBytes)}: measured/model {m.InUsePeakBytes / predicted:F3}");
            Console.WriteLine($"  peak resident set (VmHWM) {MemoryModel.Mb(m.PeakDeltaBytes)}: measured/model {m.PeakDeltaBytes / predicted:F3}");
            Console.WriteLine($"  kept for the backward (in use after the loss) {MemoryModel.Mb(m.SavedBytes)}, model {MemoryModel.Mb(saved)}: " +
                              $"measured/model {m.SavedBytes / saved:F3}");
            Console.WriteLine($"  step ms {string.Join(", ", m.StepMs.Select(x => x.ToString("F0")))}; " +
                              $"load average {BenchCommand.LoadAverage()}");
            return 0;
        });
        return command;
    }

    private static MemorySettings Settings(string preset, int batch, string loss, string precision, bool checkpointing, int ranks, string negatives,
                                           int regions, int words)
    {
        try
        {
            if (batch < 2) throw new ArgumentException($"--batch-size must be ≥ 2, got {batch}");
            if (ranks < 1) throw new ArgumentException($"--ranks must be ≥ 1, got {ranks}");
            if (regions < 1 || words < 2) throw new ArgumentException("--regions must be ≥ 1 and --words ≥ 2");
            if (loss is not ("clip" or "powerclip")) throw new ArgumentException($"--loss '{loss}' is not valid: expected clip or powerclip");
            return new MemorySettings(Presets.Load(preset), batch, loss, regions, words, Autocast.Names.Parse(precision, "--precision"),
                                      checkpointing, ranks, LossSettingNames.Negatives.Parse(negatives, "--negatives"));
        }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException)
        {
            throw new UsageException(e.Message);
        }
    }
}
