using System.CommandLine;
using PowerClip.Model;
using PowerClip.Train.Study;

namespace PowerClip.Cli.Commands;

/// <summary>
/// `powerclip study [--budget quick|standard] [--out DIR] [--seeds 0,1,2] [--methods CLIP,PowerCLIP-S,…]
/// [--steps N]`: the paper's comparison and ablation tables in miniature (Study/StudyPipeline). Options are parsed
/// here; the study itself lives in the library.
/// </summary>
public static class StudyCommand
{
    public static Command Create()
    {
        var runtime = new RuntimeOptions();
        var budget = new Option<string>("--budget")
        {
            Description = "quick: a smoke test of the pipeline for CI (tiny model, minutes); " +
                          "standard: the study (1 h 42 min on 2 cores, measured)",
            DefaultValueFactory = _ => "standard",
        };
        budget.AcceptOnlyFromAmong("quick", "standard");
        var output = new Option<string>("--out")
        {
            Description = "Output folder (benchmarks/, runs/, report.html, results.json, results.md); " +
                          "rerunning reuses it",
            DefaultValueFactory = _ => "runs/study",
        };
        var seeds = new Option<string?>("--seeds") { Description = "Comma-separated seeds (default: the budget's)" };
        var methods = new Option<string?>("--methods")
        {
            Description = "Comma-separated methods (names or loss slugs; default all): " +
                          string.Join(", ", StudyMethods.All.Select(m => m.Name)),
        };
        var steps = new Option<int?>("--steps") { Description = "Override the optimizer steps of every arm" };
        var command = new Command("study", "The paper's comparison and ablation tables in miniature: every method × " +
                                           "seed with one budget, paired bootstrap intervals, HTML report")
        {
            budget, output, seeds, methods, steps,
        };
        runtime.AddTo(command);
        command.SetAction(r =>
        {
            var settings = StudyBudget.Named(r.GetValue(budget)!);
            if (r.GetValue(seeds) is { } list) settings = settings with { Seeds = ParseSeeds(list) };
            if (r.GetValue(steps) is { } n)
                settings = n >= 1
                    ? settings with { Steps = n }
                    : throw new UsageException($"--steps must be >= 1, got {n}");
            IReadOnlyList<StudyMethod> selected;
            try
            {
                selected = r.GetValue(methods) is { } names ? StudyMethods.Select(names.Split(',')) : StudyMethods.All;
                settings.Validate();
            }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            if (selected.Count == 0) throw new UsageException("--methods names no method");
            var outDir = r.GetValue(output)!;
            var (device, threads) = runtime.Apply(r);
            // The quick budget's tiny model gains nothing from a second libtorch thread and loses a lot when the
            // machine is busy (its threads spin-wait for each other: 26× the wall time measured at load 40), so it
            // takes one thread unless --threads says otherwise.
            if (settings.SmokeTest && r.GetResult(runtime.Threads) is null or { Implicit: true })
                threads = TorchRuntime.SetThreads(1);
            var outcome = new StudyPipeline(settings, selected, outDir, device, threads).Run(Console.Out);
            Console.WriteLine();
            Console.Write(StudyResults.Markdown(outcome));
            Console.WriteLine($"report: {Path.Combine(outDir, "report.html")} ({outcome.TotalSeconds:F0} s)" +
                              (settings.SmokeTest ? " — quick budget: a smoke test, not a measurement" : ""));
            return 0;
        });
        return command;
    }

    private static int[] ParseSeeds(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new UsageException("--seeds names no seed");
        int Parse(string p) =>
            int.TryParse(p, out var s) ? s : throw new UsageException($"--seeds: '{p}' is not an integer");
        return parts.Select(Parse).ToArray();
    }
}
