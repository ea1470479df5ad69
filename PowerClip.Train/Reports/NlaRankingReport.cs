using System.Globalization;
using PowerClip.Spec;

namespace PowerClip.Train.Reports;

/// <summary>
/// The ranking part of `powerclip nla-accuracy`: RankingStudy (PowerClip.Math) on CLIP-like and adversarial B × B
/// batches, written as nla-ranking.csv and a self-contained nla-ranking.html. Every number is a mean over batches
/// with a seeded percentile-bootstrap 95% interval.
/// </summary>
public static class NlaRankingReport
{
    /// <summary>One input model's study: its name (clip, adversarial), its settings and its rows.</summary>
    public sealed record Part(string Inputs, RankingConfig Config, RankingRow[] Rows);

    private static readonly string[] Metrics =
        ["spearman_rows", "spearman_columns", "hardest_rows", "hardest_columns", "triplet_rel_error"];

    private static Interval[] Values(RankingRow r) =>
        [r.SpearmanRows, r.SpearmanColumns, r.HardestRows, r.HardestColumns, r.TripletRelativeError];

    private static string Fmt(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
    private static string TauText(double? tau) => tau is { } t ? Fmt(t, "G") : "any";
    private static string ZetaText(double? zeta) => zeta is { } z ? Fmt(z, "G") : "";

    /// <summary>The ranking study for each (input model name, settings); writes nla-ranking.csv and .html.</summary>
    public static void Write(
        IReadOnlyList<(string Inputs, RankingConfig Config)> studies, string outDir, string reproduce, TextWriter log)
    {
        var parts = studies.Select(s => Run(s.Inputs, s.Config)).ToArray();
        Directory.CreateDirectory(outDir);
        var csvPath = Path.Combine(outDir, "nla-ranking.csv");
        File.WriteAllLines(csvPath, Csv(parts));
        var htmlPath = Path.Combine(outDir, "nla-ranking.html");
        Html(parts, reproduce).Save(htmlPath);
        foreach (var line in parts.SelectMany(Table)) log.WriteLine(line);
        log.WriteLine($"wrote {csvPath}");
        log.WriteLine($"wrote {htmlPath}");
    }

    public static Part Run(string inputs, RankingConfig config)
    {
        return new Part(inputs, config, RankingStudy.run(config));
    }

    public static IEnumerable<string> Csv(IEnumerable<Part> parts)
    {
        yield return "inputs,regions,batch_size,tau,estimator,reading,zeta,batches," +
                     string.Join(",", Metrics.SelectMany(m => new[] { m, m + "_lo", m + "_hi" }));
        foreach (var p in parts)
        foreach (var r in p.Rows)
        {
            string[] key =
            [
                p.Inputs, Int(p.Config.Regions), Int(p.Config.BatchSize), TauText(r.Tau), r.Estimator, r.Reading,
                ZetaText(r.Zeta), Int(r.HardestRows.Batches),
            ];
            var numbers = Values(r).SelectMany(i => new[] { i.Mean, i.Low, i.High }).Select(Reports.Csv.Number);
            yield return Reports.Csv.Line(key.Concat(numbers));
        }
    }

    /// <summary>"mean [low, high]" with three decimals.</summary>
    private static string Cell(Interval i) =>
        double.IsNaN(i.Mean) ? "–" : $"{Fmt(i.Mean, "F3")} [{Fmt(i.Low, "F3")}, {Fmt(i.High, "F3")}]";

    private static string Int(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static readonly string[] Header =
    [
        "tau", "estimator", "reading", "zeta", "Spearman rows", "Spearman columns", "hardest = exact, rows",
        "hardest = exact, columns", "triplet rel. error",
    ];

    public static IEnumerable<string> Table(Part p)
    {
        var c = p.Config;
        yield return $"ranking fidelity, {p.Inputs} batches ({c.Batches} of {c.BatchSize}x{c.BatchSize}, " +
                     $"M = {c.Regions}):";
        foreach (var r in p.Rows)
            yield return $"  {TauText(r.Tau),-6} {r.Estimator,-15} {r.Reading,-8} {ZetaText(r.Zeta),-5} " +
                         string.Join("  ", Values(r).Select(Cell));
    }

    private const string Measures =
        "For every batch the exact R2T Q-> of every image-caption pair (all 2^M subsets) is the reference. " +
        "Each estimator's B x B matrix is judged by: Spearman's rank correlation with the exact matrix within " +
        "each row (an image's captions) and each column, averaged over the batch's rows and columns; the share " +
        "of rows and of columns whose hardest negative (largest off-diagonal score) is the exact matrix's; and " +
        "the relative error of the triplet loss l_delta(X/M) + l_delta(X^T/M) (the default score scale). " +
        "Numbers are means over batches with percentile-bootstrap 95% intervals (seeded resampling of batches).";

    private const string Inputs =
        "Inputs [assumptions, not the paper's]: clip = CLIP-like cosines per pair (per-pair offset U(-0.1, 0.2), " +
        "words grounded in a region with probability 0.3 for the matched pair and 0.15 for negatives, +U(0.1, 0.3), " +
        "noise s.d. 0.1), captions of 5-15 words with phrases plus root as nodes. adversarial = 12-20 words with " +
        "phrases, root and leaves as nodes, negatives with offsets within +-0.02 of each other (near-ties), half of " +
        "them concentrated (a few strong regions, the rest below, the same region sum) and half diffuse, so the " +
        "lower bound, which sees only the region sums, cannot rank them. Monte Carlo K uses the same K subsets for " +
        "every pair of a batch (as --r2t monte-carlo:K trains).";

    public static HtmlReport Html(IReadOnlyList<Part> parts, string reproduce)
    {
        var report = new HtmlReport("PowerCLIP R2T estimators judged by what the triplet loss uses")
            .Paragraph(Measures).Paragraph(Inputs).Code(reproduce);
        foreach (var p in parts)
        {
            var c = p.Config;
            report.Heading($"{p.Inputs} batches: {c.Batches} of {c.BatchSize} x {c.BatchSize}, M = {c.Regions}");
            var tau = c.Taus.Min();
            var shown = p.Rows.Where(r => r.Tau is null || r.Tau == tau).ToArray();
            var labels = shown
                .Select(r => r.Estimator + (r.Reading.Length > 0 ? $" {r.Reading} {ZetaText(r.Zeta)}" : "")).ToArray();
            (string, double[], double[], double[]) Series(string name, Func<RankingRow, Interval> f) =>
                (name, shown.Select(r => f(r).Mean).ToArray(), shown.Select(r => f(r).Low).ToArray(),
                 shown.Select(r => f(r).High).ToArray());
            var hardest = new[] { Series("rows", r => r.HardestRows), Series("columns", r => r.HardestColumns) };
            var spearman = new[] { Series("rows", r => r.SpearmanRows), Series("columns", r => r.SpearmanColumns) };
            report.Charts([
                ReportCharts.Bars(labels, hardest, $"hardest negative = exact R2T's (tau = {Fmt(tau, "G")})", "share",
                    1200),
                ReportCharts.Bars(labels, spearman, $"Spearman within rows / columns (tau = {Fmt(tau, "G")})", "rho",
                    1200),
            ]);
            report.Table(Header, p.Rows.Select(r => (IReadOnlyList<string>)new[]
                { TauText(r.Tau), r.Estimator, r.Reading, ZetaText(r.Zeta) }.Concat(Values(r).Select(Cell)).ToArray()));
        }
        return report;
    }
}
