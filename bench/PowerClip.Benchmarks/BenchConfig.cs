using BenchmarkDotNet.Columns;
using Perfolizer.Horology;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace PowerClip.Benchmarks;

/// <summary>
/// The default configuration: one short in-process job (3 warm-up, 5 measured iterations of ≈ 250 ms), GitHub markdown
/// and CSV into BenchmarkDotNet.Artifacts/results. In-process because the TorchSharp native library is the
/// build output's patched copy (build/TorchNativeFix.targets); a job given with --job replaces the default
/// one and is made in-process by Program (--inProcess).
/// </summary>
public static class BenchConfig
{
    public static Job ShortInProcess { get; } = Job.Default
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(5)
        .WithIterationTime(TimeInterval.FromMilliseconds(250))
        .WithId("ShortInProcess")
        .AsDefault();

    public static IConfig Create(bool withDefaultJob = true)
    {
        var config = ManualConfig.CreateEmpty()
            .AddLogger(ConsoleLogger.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddExporter(MarkdownExporter.GitHub, CsvExporter.Default)
            .AddAnalyser(DefaultConfig.Instance.GetAnalysers().ToArray())
            .AddValidator(DefaultConfig.Instance.GetValidators().ToArray())
            .WithOptions(ConfigOptions.DisableLogFile);
        return withDefaultJob ? config.AddJob(ShortInProcess) : config;
    }
}
