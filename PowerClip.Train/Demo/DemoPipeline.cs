using System.Diagnostics;
using PowerClip.Train.Experiments;
using PowerClip.Train.Training;
using TorchSharp;

namespace PowerClip.Train.Demo;

/// <summary>
/// The demo end to end: export the synthetic world's held-out benchmarks, train CLIP and PowerCLIP with
/// the same budget and seed, evaluate both, and write a self-contained HTML report. Work already saved in
/// the output folder is reused: an arm whose run folder holds the same config resumes (or is already done).
/// </summary>
public sealed class DemoPipeline(DemoSettings settings, string outDir, torch.Device device, int threads)
{
    public static readonly string[] Arms = ["clip", "powerclip"];

    public string BenchmarkDirectory => Path.Combine(outDir, "benchmarks");
    public string RunDirectory(string loss) => Path.Combine(outDir, loss);

    public DemoOutcome Run()
    {
        var clock = Stopwatch.StartNew();
        foreach (var arm in Arms) settings.TrainConfig(arm).Validate();
        Directory.CreateDirectory(outDir);
        ExportBenchmarks();
        var timings = new Dictionary<string, double>();
        foreach (var loss in Arms)
        {
            var start = clock.Elapsed;
            TrainArm(settings.TrainConfig(loss), RunDirectory(loss));
            timings[loss] = (clock.Elapsed - start).TotalSeconds;
        }
        var evaluations = Arms.ToDictionary(a => a, a => NativeRetry.Run($"evaluating {RunDirectory(a)}",
            () => DemoEvaluation.Evaluate(RunDirectory(a), BenchmarkDirectory, device)));
        var outcome = new DemoOutcome(settings, evaluations, timings, clock.Elapsed.TotalSeconds, threads,
            device.ToString());
        DemoReport.Write(outcome, outDir, RunDirectory, BenchmarkDirectory, device);
        return outcome;
    }

    private void ExportBenchmarks() =>
        ExportedBenchmarks.Ensure(BenchmarkDirectory, settings.TrainConfig("clip"), settings.BenchmarkItems,
                                  settings.ZeroShotPerClass, $"seed={settings.Seed}");

    private void TrainArm(TrainConfig config, string runDir)
    {
        Console.WriteLine($"== {config.Loss}: {config.Optimizer.Steps} steps of {config.BatchSize} ({runDir})");
        ResumableRun.Ensure(config, runDir, device, TimeSpan.FromSeconds(15));
    }
}

/// <summary>What the demo measured: per arm, the evaluation and the training time.</summary>
public sealed record DemoOutcome(DemoSettings Settings, IReadOnlyDictionary<string, DemoEvaluation> Evaluations,
                                 IReadOnlyDictionary<string, double> TrainSeconds, double TotalSeconds, int Threads,
                                     string Device);
