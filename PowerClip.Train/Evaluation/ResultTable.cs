using Spectre.Console;
using Spectre.Console.Rendering;

namespace PowerClip.Train.Evaluation;

/// <summary>Benchmark results as one console table: benchmark, metric, value, Wilson 95% interval (proportions only),
/// n.</summary>
public static class ResultTable
{
    public static Table Build(IEnumerable<IBenchmarkResult> results)
    {
        var table = new Table().AddColumns("benchmark", "metric", "value", "95% CI", "n");
        foreach (var column in table.Columns.Skip(2)) column.RightAligned();
        foreach (var r in results)
            foreach (var line in r.Lines())
                table.AddRow(Cells(r.Benchmark, line.Metric, $"{100 * line.Value:F1}%",
                    line.Counts is { } p ? $"{100 * p.Ci95Low:F1}–{100 * p.Ci95High:F1}" : "—", line.N.ToString()));
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
