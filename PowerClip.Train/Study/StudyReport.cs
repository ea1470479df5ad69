using System.Globalization;
using PowerClip.Train.Reports;
using PowerClip.Train.Training;
using static PowerClip.Train.Study.StudyFormat;

namespace PowerClip.Train.Study;

/// <summary>
/// The study's outputs: report.html (tables shaped like the paper's with intervals and per-seed signs, bar charts,
/// training curves, step times), results.json (every number of the tables, per seed) and results.md (the same
/// tables in Markdown, for docs/reproduction.md).
/// </summary>
public static class StudyReport
{
    private static readonly (string Table, string Title)[] Tables =
    [
        (StudyCells.Main, "Classification, retrieval and robustness (the paper's main table)"),
        (StudyCells.Compositional, "Compositionality: SugarCrepe, Winoground, ARO"),
        (StudyCells.Grounding, "Grounding accuracy (ours): pointing and selected-subset IoU per phrase type"),
    ];

    public const string Statistics =
        "Each cell: the mean over seeds of the cell's value (a macro average over its item sets), with a 95% " +
        "percentile interval from a paired bootstrap over benchmark items (every method resampled on the same items; " +
        "sets resampled separately). Differences are resampled item for item and paired seed by seed; the signs say " +
        "in which seeds the method was ahead (+), behind (−) or tied (0). The interval covers the item sample, not " +
        "training noise: the signs show that.";

    public static void Write(StudyOutcome outcome, string outDir)
    {
        var b = outcome.Budget;
        var report = new HtmlReport($"PowerClip study ({b.Name} budget): the paper's tables in miniature");
        if (b.SmokeTest)
            report.Paragraph("SMOKE TEST: the quick budget checks the pipeline (tiny model, a few steps, few items). " +
                             "Its numbers measure nothing; run --budget standard for the study.");
        report.Paragraph(Settings(outcome));
        report.Paragraph(Statistics);
        var main = outcome.Methods.Where(m => !m.Ablation).ToArray();
        foreach (var (table, title) in Tables)
        {
            report.Heading(title);
            var (header, rows) = Grid(outcome, table, main, ValueOf);
            report.Table(header, rows);
            report.Paragraph($"Difference from {StudyMethods.Reference} in points, paired bootstrap 95% " +
                             $"interval, and its sign in each seed ({string.Join(", ", b.Seeds)}):");
            var others = main.Where(m => m.Name != StudyMethods.Reference);
            var (dh, dr) = Grid(outcome, table, others, (c, m) => DifferenceOf(c, m, StudyMethods.Reference));
            report.Table(dh, dr);
            report.Charts([Chart(outcome, table, main, title)]);
        }
        var ablations = outcome.Methods.Where(m => m.Ablation).ToArray();
        if (ablations.Length > 0)
        {
            foreach (var against in new[] { StudyMethods.FullPowerClip, StudyMethods.Reference })
            {
                report.Heading($"Ablations: difference from {against}");
                foreach (var (table, _) in Tables)
                {
                    var (h, r) = Grid(outcome, table, ablations, (c, m) => DifferenceOf(c, m, against));
                    report.Table(h, r);
                }
            }
        }
        if (outcome.NotImplemented.Any())
        {
            var missing = string.Join(", ", outcome.NotImplemented.Select(m => $"{m.Name} (--loss {m.Loss})"));
            report.Paragraph("Not implemented (no such --loss yet; each becomes an arm by name once its objective " +
                             $"lands): {missing}.");
        }
        Training(report, outcome);
        report.Heading("Environment");
        report.Code($"device {outcome.Device}, {outcome.Threads} threads, " +
                    $"total {outcome.TotalSeconds:F0} s in this invocation\n" +
                    $"reproduce: ./powerclip study --budget {b.Name} --out {outDir}");
        report.Save(Path.Combine(outDir, "report.html"));
        StudyResults.Write(outcome, outDir);
    }

    private static string Settings(StudyOutcome o)
    {
        var b = o.Budget;
        return $"Every arm: model '{b.Model}', {b.Steps} steps of batch {b.BatchSize} on {b.WorldSamples} synthetic " +
               $"training images (world seed 0), M = {b.Regions}, seeds {string.Join(", ", b.Seeds)} (weights, data " +
               $"order, region draws). Benchmarks: {b.BenchmarkItems} held-out scenes per export, " +
               $"{b.ZeroShotPerClass} zero-shot image(s) per class and shift; {b.BootstrapReplicates} bootstrap " +
               "replicates. PowerCLIP-R draws random boxes, PowerCLIP-S and the ablations the world's object masks.";
    }

    private static Plotly.NET.GenericChart Chart(StudyOutcome outcome, string table, IReadOnlyList<StudyMethod> methods,
                                                 string title)
    {
        var cells = outcome.Table.Where(r => r.Table == table).ToArray();
        double[] Of(MethodCell?[] entries, Func<MethodCell, double> f) =>
            entries.Select(e => e is null ? double.NaN : 100 * f(e)).ToArray();
        var series = methods.Where(m => m.Implemented).Select(m =>
        {
            var entries = cells.Select(c => c.Of(m.Name)).ToArray();
            return (m.Name, Of(entries, e => e.Value), Of(entries, e => e.Low), Of(entries, e => e.High));
        });
        var width = Math.Max(600, 90 * cells.Length * Math.Max(1, methods.Count) / 3);
        return ReportCharts.Bars(cells.Select(c => c.Cell).ToArray(), series, title, "%", width: width);
    }

    private static void Training(HtmlReport report, StudyOutcome outcome)
    {
        report.Heading("Training");
        var seed = outcome.Budget.Seeds[0];
        var curves = outcome.Arms.Where(a => a.Seed == seed).Select(a =>
        {
            var path = Path.Combine(a.RunDirectory, "metrics.jsonl");
            var points = File.Exists(path)
                ? MetricsLog.Read(path)
                    .Select(e => (X: (double)e.GetProperty("step").GetInt32(), Y: e.GetProperty("loss").GetDouble()))
                    .ToArray()
                : [];
            return (a.Method, points.Select(p => p.X).ToArray(), Smooth(points.Select(p => p.Y).ToArray()));
        }).Where(c => c.Item2.Length > 0).ToArray();
        if (curves.Length > 0)
            report.Charts([ReportCharts.Lines(curves, $"training loss, seed {seed} (moving average of 10 steps)",
                                              "step", "loss", width: 760)]);
        report.Paragraph("Median seconds per optimizer step (from each run's metrics, steps ≥ 2), measured on this " +
                         "machine under its load at the time, and this invocation's wall and CPU seconds per arm.");
        report.Table(["method", "median s/step (per seed)", "this invocation (wall; CPU train + evaluate)"],
            outcome.Arms.GroupBy(a => a.Method).Select(g => (IReadOnlyList<string>)
            [
                g.Key,
                string.Join(", ", g.Select(a => a.MedianStepSeconds.ToString("F4", CultureInfo.InvariantCulture))),
                string.Join(", ", g.Select(a => $"{a.Outcome.ToString().ToLowerInvariant()} {a.Seconds:F0} s; " +
                                                $"{a.TrainCpuSeconds:F0} + {a.EvalCpuSeconds:F0} s")),
            ]));
    }

    private static double[] Smooth(double[] y, int window = 10) =>
        y.Select((_, i) => y.Skip(Math.Max(0, i - window + 1)).Take(Math.Min(window, i + 1)).Average()).ToArray();
}
