using System.CommandLine;
using PowerClip.Model;
using PowerClip.Train.Performance;
using static PowerClip.Train.Performance.StepTimer;

using PowerClip.Train;

namespace PowerClip.Cli.Commands;

/// <summary>
/// `powerclip bench`: the price of the method on this machine — one training step (forward, loss, backward,
/// AdamW) of CLIP against PowerCLIP per batch size, timed per phase and alternated, with the achieved matmul
/// FLOP/s against the measured matmul peak. `--export DIR` also writes weights, inputs and losses for the
/// PyTorch peer (bench/pytorch/powerclip_peer.py).
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var runtime = new RuntimeOptions();
        var preset = new Option<string>("--preset") { Description = "Model preset: tiny, small or vit-b-16",
            DefaultValueFactory = _ => "tiny" };
        var batches = new Option<string>("--batch-sizes") { Description = "Comma-separated batch sizes",
            DefaultValueFactory = _ => "64,128" };
        var regions = new Option<int>("--regions") { Description = "Regions M per image",
            DefaultValueFactory = _ => 10 };
        var words = new Option<int>("--words") { Description = "Words per synthetic caption (one token each; nodes: " +
            "root + words − 2 phrases)", DefaultValueFactory = _ => 10 };
        var repeats = new Option<int>("--repeats") { Description = "Timed steps per objective (alternated)",
            DefaultValueFactory = _ => 5 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps per objective first",
            DefaultValueFactory = _ => 2 };
        var seed = new Option<int>("--seed") { Description = "Seed of weights and synthetic batch",
            DefaultValueFactory = _ => 1 };
        var chunk = new Option<long?>("--chunk-elements") {
            Description = "PowerCLIP loss: largest S1-sized chunk in entries (default: the loss's default)" };
        var profile = new Option<bool>("--profile-loss") { Description = "Also print the PowerCLIP loss's stages (no " +
            "autograd) at each batch size" };
        var export = new Option<string?>("--export") { Description = "Also write weights, inputs and losses of the " +
            "first batch size here (for the PyTorch peer)" };
        var command = new Command("bench", "Time a CLIP and a PowerCLIP training step per phase and report FLOP/s " +
            "against the matmul peak")
        {
            preset, batches, regions, words, repeats, warmup, seed, export, profile, chunk,
        };
        runtime.AddTo(command);
        command.Subcommands.Add(BenchMemoryCommand.Create());
        command.SetAction(result =>
        {
            var sizes = ParseSizes(result.GetValue(batches)!);
            var c = new StepTimerConfig(result.GetValue(preset)!, sizes, result.GetValue(regions),
                result.GetValue(words),
                                        result.GetValue(repeats), result.GetValue(warmup), result.GetValue(seed),
                                            result.GetValue(chunk));
            if (c.ChunkElements is < 1) throw new UsageException(
                $"--chunk-elements must be ≥ 1, got {c.ChunkElements}");
            if (c.Regions < 1) throw new UsageException($"--regions must be ≥ 1, got {c.Regions}");
            if (c.Repeats < 1) throw new UsageException($"--repeats must be ≥ 1, got {c.Repeats}");
            if (c.Warmup < 0) throw new UsageException($"--warmup must be ≥ 0, got {c.Warmup}");
            var (device, threads) = runtime.Apply(result);
            var dir = result.GetValue(export);
            if (dir is not null) { StepTimer.Export(c, sizes[0], device,
                dir); Console.WriteLine($"exported weights, inputs and losses to {dir}"); }
            var peak = FlopCount.MatmulPeak(device);
            var (rows, ratios) = StepTimer.Run(c, device);
            Console.WriteLine($"preset {c.Preset}, device {device}, {threads} threads, M = {c.Regions}, " +
                $"{c.Words}-word captions, median of {c.Repeats} alternated steps after {c.Warmup} warm-up; " +
                              $"matmul peak {F(peak / 1e9)} GFLOP/s (1024², float32); load average {LoadAverage()}");
            Console.WriteLine("| batch | objective | forward ms | loss ms | backward ms | optimizer ms | step ms | " +
                "step / CLIP | GFLOP/step | GFLOP/s | % of peak |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var r in rows)
            {
                var m = r.Median;
                var ratio = r.Objective == "clip" ? "1" : F(ratios[r.Batch], 2);
                Console.WriteLine($"| {r.Batch} | {r.Objective} | {F(m.Forward)} | {F(m.Loss)} | {F(m.Backward)} | " +
                    $"{F(m.Optimizer)} | {F(m.Total)} | {ratio} | {F(r.Flops / 1e9, 3)} | " +
                    $"{F(r.FlopsPerSecond / 1e9)} | {F(100 * r.FlopsPerSecond / peak)} |");
            }
            if (result.GetValue(profile))
                foreach (var b in sizes)
                {
                    using var data = SyntheticBatch.Create(PowerClip.Model.Presets.Load(c.Preset), b, c.Regions,
                        c.Words, c.Seed, device);
                    Console.WriteLine($"PowerCLIP loss stages, batch {b} (minimum ms of {c.Repeats}, forward only, " +
                        "no autograd):");
                    foreach (var (stage, ms) in LossProfile.Run(PowerClip.Model.Presets.Load(c.Preset), data, c.Repeats,
                        device))
                        Console.WriteLine($"  {stage,-30} {F(ms, 2)}");
                }
            return 0;
        });
        return command;
    }

    private static List<int> ParseSizes(string text)
    {
        var sizes = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            sizes.Add(int.TryParse(part, out var n) && n >= 2
                ? n : throw new UsageException($"--batch-sizes: '{part}' is not a batch size ≥ 2"));
        return sizes.Count > 0 ? sizes : throw new UsageException("--batch-sizes is empty");
    }

    /// <summary>The 1-minute load average (Linux), so that a published table says how busy the machine was.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";
}
