using Spectre.Console;
using Spectre.Console.Rendering;

namespace PowerClip.Train.Evaluation;

/// <summary>Benchmark results as one console table: benchmark, metric, accuracy, Wilson 95% interval, n.</summary>
public static class ResultTable
{
    public static Table Build(IEnumerable<IBenchmarkResult> results)
    {
        var table = new Table().AddColumns("benchmark", "metric", "accuracy", "95% CI", "n");
        foreach (var column in table.Columns.Skip(2)) column.RightAligned();
        foreach (var r in results)
            foreach (var (metric, p) in r.Rows())
                table.AddRow(Cells(r.Benchmark, metric, $"{100 * p.Accuracy:F1}%", $"{100 * p.Ci95Low:F1}–{100 * p.Ci95High:F1}", p.Total.ToString()));
        return table;
    }

    /// <summary>Writes to the current Console.Out (resolved per call, so redirected output is honoured).</summary>
    public static void Print(IEnumerable<IBenchmarkResult> results)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        console.Write(Build(results));
    }

    private static IRenderable[] Cells(params string[] cells) => cells.Select(c => (IRenderable)new Text(c)).ToArray();
}
