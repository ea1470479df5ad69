using System.Diagnostics;
using System.Globalization;
using PowerClip.Train.Experiments;
using TorchSharp;

namespace PowerClip.Train.Study;

/// <summary>
/// One arm of a study as it went in this invocation: wall-clock seconds, the process's CPU seconds for training
/// and for evaluation (CPU time depends far less than wall time on what else the machine runs: what the standard
/// budget is sized by), and the median wall seconds per optimizer step from the run's metrics.
/// </summary>
public sealed record StudyArm(string Method, int Seed, string RunDirectory, RunOutcome Outcome, double Seconds,
                              double TrainCpuSeconds, double EvalCpuSeconds, double MedianStepSeconds);

/// <summary>What a study measured: its arms, the table and the methods left out for want of an objective.</summary>
public sealed record StudyOutcome(StudyBudget Budget, IReadOnlyList<StudyMethod> Methods, IReadOnlyList<StudyArm> Arms,
                                  IReadOnlyList<CellRow> Table, double TotalSeconds, int Threads, string Device)
{
    public IEnumerable<StudyMethod> NotImplemented => Methods.Where(m => !m.Implemented);
}

/// <summary>
/// `powerclip study` end to end: export the held-out benchmarks once, train every implemented method for every
/// seed with the same budget, data and seed (arm = method × seed), evaluate each arm's per-item outcomes right
/// after it trains, then compute the table (paired bootstrap over items, per-seed signs) and write report.html,
/// results.json and results.md. Everything is resumable: a finished arm and its outcomes are reused, a half-trained
/// arm resumes from its latest checkpoint (<see cref="ResumableRun"/>), an interrupted export is redone.
/// </summary>
public sealed class StudyPipeline(StudyBudget budget, IReadOnlyList<StudyMethod> methods, string outDir,
                                  torch.Device device, int threads)
{
    public string BenchmarkDirectory => Path.Combine(outDir, "benchmarks");

    public string RunDirectory(StudyMethod method, int seed) =>
        Path.Combine(outDir, "runs", $"{method.Slug}-seed{seed}");

    public StudyOutcome Run(TextWriter log)
    {
        budget.Validate();
        if (methods.Count == 0) throw new ArgumentException("the study has no methods");
        var arms = methods.Where(m => m.Implemented)
            .SelectMany(m => budget.Seeds.Select(s => (Method: m, Seed: s))).ToArray();
        foreach (var (m, s) in arms) budget.TrainConfig(m, s).Validate();
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(outDir);
        if (budget.SmokeTest)
            log.WriteLine($"study: budget '{budget.Name}' is a smoke test of the pipeline " +
                          $"(model {budget.Model}, {budget.Steps} steps): its numbers measure nothing");
        foreach (var m in methods.Where(m => !m.Implemented))
            log.WriteLine($"study: {m.Name} is not implemented (no --loss {m.Loss}); listed in the table as such");
        ExportedBenchmarks.Ensure(BenchmarkDirectory, budget.TrainConfig(methods[0], budget.Seeds[0]),
                                  budget.BenchmarkItems, budget.ZeroShotPerClass, "study");

        var done = new List<StudyArm>();
        var outcomes = new Dictionary<string, List<ArmOutcomes>>();
        var work = new List<double>();
        for (var k = 0; k < arms.Length; k++)
        {
            var (method, seed) = arms[k];
            var (config, dir) = (budget.TrainConfig(method, seed), RunDirectory(method, seed));
            var (start, cpu0) = (clock.Elapsed, Cpu());
            var what = ResumableRun.Finished(config, dir) is null
                ? $"training {budget.Steps} steps of {budget.BatchSize}" : "finished before, reusing";
            log.WriteLine($"study: arm {k + 1}/{arms.Length} {method.Name} seed {seed}: {what} ({dir})");
            var (outcome, checkpoint) = ResumableRun.Ensure(config, dir, device, TimeSpan.FromSeconds(60));
            var (trained, cpu1) = (clock.Elapsed, Cpu());
            var items = NativeRetry.Run($"evaluating {dir}",
                () => ArmOutcomes.Ensure(dir, checkpoint, BenchmarkDirectory, device));
            (outcomes.TryGetValue(method.Name, out var list) ? list : outcomes[method.Name] = []).Add(items);
            var seconds = (clock.Elapsed - start).TotalSeconds;
            if (outcome != RunOutcome.Reused) work.Add(seconds);
            done.Add(new StudyArm(method.Name, seed, dir, outcome, seconds, cpu1 - cpu0, Cpu() - cpu1,
                                  MedianStepSeconds(dir)));
            var left = arms.Skip(k + 1).Count(a => ResumableRun.Finished(budget.TrainConfig(a.Method, a.Seed),
                                                                         RunDirectory(a.Method, a.Seed)) is null);
            var eta = work.Count == 0 ? Clock(0) : Clock(work.Average() * left);
            log.WriteLine($"study: arm {k + 1}/{arms.Length} {method.Name} seed {seed}: " +
                          $"{outcome.ToString().ToLowerInvariant()} (train {(trained - start).TotalSeconds:F0} s, " +
                          $"evaluate {(clock.Elapsed - trained).TotalSeconds:F0} s); " +
                          $"elapsed {Clock(clock.Elapsed.TotalSeconds)}, " +
                          $"ETA {eta} for {left} arm(s) left");
        }
        var byMethod = outcomes.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<ArmOutcomes>)kv.Value);
        var table = StudyTable.Compute(methods, byMethod, StudyCells.All, budget.BootstrapReplicates, seed: 0);
        var result = new StudyOutcome(budget, methods, done, table, clock.Elapsed.TotalSeconds, threads,
                                      device.ToString());
        StudyReport.Write(result, outDir);
        return result;
    }

    /// <summary>
    /// The median seconds per optimizer step in the arm's metrics (batch / samples per second, steps ≥ 2: the first
    /// steps warm up).
    /// </summary>
    public static double MedianStepSeconds(string runDir)
    {
        var path = new Training.RunFolder(runDir).Metrics;
        if (!File.Exists(path)) return double.NaN;
        var rates = Training.MetricsLog.Read(path)
            .Where(e => e.TryGetProperty("samples_per_s", out _)
                        && e.TryGetProperty("step", out var s) && s.GetInt32() >= 2)
            .Select(e => e.GetProperty("samples_per_s").GetDouble()).Where(x => x > 0).Order().ToArray();
        if (rates.Length == 0) return double.NaN;
        var batch = Training.TrainConfig.Load(new Training.RunFolder(runDir).Config).BatchSize;
        return batch / rates[rates.Length / 2];
    }

    private static double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    private static string Clock(double seconds) =>
        TimeSpan.FromSeconds(Math.Round(seconds)).ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture);
}
