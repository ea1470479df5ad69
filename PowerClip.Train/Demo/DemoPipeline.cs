using System.Diagnostics;
using PowerClip.Train.Commands;
using PowerClip.Data;
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
        var evaluations = Arms.ToDictionary(a => a, a => DemoEvaluation.Evaluate(RunDirectory(a), BenchmarkDirectory, device));
        var outcome = new DemoOutcome(settings, evaluations, timings, clock.Elapsed.TotalSeconds, threads, device.ToString());
        DemoReport.Write(outcome, outDir, RunDirectory, BenchmarkDirectory, device);
        return outcome;
    }

    private void ExportBenchmarks()
    {
        var marker = Path.Combine(BenchmarkDirectory, ".complete");
        var model = TrainingSetup.ModelConfig(settings.Model, TrainingSetup.Tokenizer(settings.TrainConfig("clip")));
        var stamp = $"{settings.Model} {model.Vision.ImageSize}/{model.Vision.PatchSize} items={settings.BenchmarkItems} perClass={settings.ZeroShotPerClass} seed={settings.Seed}";
        if (File.Exists(marker) && File.ReadAllText(marker) == stamp) return;
        if (Directory.Exists(BenchmarkDirectory)) Directory.Delete(BenchmarkDirectory, recursive: true);
        Console.WriteLine($"exporting held-out benchmarks to {BenchmarkDirectory}");
        var world = TrainingSetup.World(settings.TrainConfig("clip"), model);
        new BenchmarkExporter(world).ExportAll(BenchmarkDirectory, settings.BenchmarkItems, settings.ZeroShotPerClass);
        AtomicFile.WriteAllText(marker, stamp);
    }

    private void TrainArm(TrainConfig config, string runDir)
    {
        var configPath = Path.Combine(runDir, TrainCommand.ConfigFile);
        string? resume = null;
        if (File.Exists(configPath))
        {
            if (File.ReadAllText(configPath) != config.ToJson())
                throw new InvalidOperationException($"{runDir} holds a run with other settings; pass another --out (or delete it) to start afresh");
            if (new CheckpointStore(runDir).List().Count > 0) resume = "latest";
        }
        Console.WriteLine($"== {config.Loss}: {config.Optimizer.Steps} steps of {config.BatchSize} ({runDir})");
        TrainCommand.Run(config, runDir, device, resume, TimeSpan.FromSeconds(15));
    }
}

/// <summary>What the demo measured: per arm, the evaluation and the training time.</summary>
public sealed record DemoOutcome(DemoSettings Settings, IReadOnlyDictionary<string, DemoEvaluation> Evaluations,
                                 IReadOnlyDictionary<string, double> TrainSeconds, double TotalSeconds, int Threads, string Device);
