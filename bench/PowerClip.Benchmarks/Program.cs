using BenchmarkDotNet.Running;

namespace PowerClip.Benchmarks;

/// <summary>The standard BenchmarkDotNet command line (--filter, --job, --list flat, …) with BenchConfig's
/// defaults.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        // BenchmarkDotNet takes a default job of the config in preference to --job, so the short default job is
        // only added when no job is asked for; an asked-for job is run in-process (--inProcess) like the default.
        var jobAsked = args.Any(a => a is "-j" or "--job" || a.StartsWith("--job=", StringComparison.Ordinal));
        var inProcess = args.Any(a => a is "-i" or "--inProcess");
        var runArgs = jobAsked && !inProcess ? [.. args, "--inProcess"] : args;
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly)
            .Run(runArgs, BenchConfig.Create(withDefaultJob: !jobAsked));
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
