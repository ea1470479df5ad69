using System.Globalization;
using PowerClip.Spec;

namespace PowerClip.Train.Reports;

/// <summary>
/// The per-pair approximation study's outputs (`powerclip nla-accuracy --study pairs`): nla-accuracy.csv (Pearson r and
/// MAE per (τ, ζ) cell and estimator), nla-accuracy-zeta-star.csv and a self-contained nla-accuracy.html.
/// </summary>
public static class NlaAccuracyReport
{
    private const int ScatterCases = 1000;

    public static void Write(StudyConfig config, string outDir, string reproduce, TextWriter log)
    {
        log.WriteLine($"reproduce: {reproduce}");
        var series = ApproximationStudy.run(config);
        var zetaStars = ApproximationStudy.zetaStars(config);
        var rows = series.Select(ApproximationStudy.summarize).ToArray();
        Directory.CreateDirectory(outDir);
        var csvPath = Path.Combine(outDir, "nla-accuracy.csv");
        File.WriteAllLines(csvPath, Csv(rows));
        var zetaPath = Path.Combine(outDir, "nla-accuracy-zeta-star.csv");
        File.WriteAllLines(zetaPath, ZetaStarCsv(zetaStars));
        var htmlPath = Path.Combine(outDir, "nla-accuracy.html");
        Html(config, series, rows, zetaStars, reproduce).Save(htmlPath);
        foreach (var line in Table(rows)) log.WriteLine(line);
        log.WriteLine("zeta* (NLA-T2 = LSE-relaxed R2T) per tau: " + string.Join("; ", zetaStars.Select(z =>
            $"tau {Fmt(z.Tau, "G")}: median {Fmt(z.Median, "F3")}, IQR [{Fmt(z.Q25, "F3")}, {Fmt(z.Q75, "F3")}]")));
        log.WriteLine($"wrote {csvPath}");
        log.WriteLine($"wrote {zetaPath}");
        log.WriteLine($"wrote {htmlPath}");
    }

    private static string Fmt(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
    private static string ZetaText(double? zeta) => zeta is { } z ? Fmt(z, "G") : "any";

    private static IEnumerable<string> Csv(IEnumerable<StudyRow> rows)
    {
        yield return "tau,zeta,quantity,estimator,cases,pearson_r,mae,mean_error";
        foreach (var r in rows)
            yield return PowerClip.Train.Reports.Csv.Line([
                PowerClip.Train.Reports.Csv.Number(r.Tau), r.Zeta is { } z
                    ? PowerClip.Train.Reports.Csv.Number(z) : "any", r.Quantity, r.Estimator,
                r.Cases.ToString(CultureInfo.InvariantCulture), PowerClip.Train.Reports.Csv.Number(r.PearsonR),
                    PowerClip.Train.Reports.Csv.Number(r.Mae),
                PowerClip.Train.Reports.Csv.Number(r.MeanError)]);
    }

    private static readonly string[] ZetaStarHeader = ["tau", "cases", "mean", "q10", "q25", "median", "q75", "q90"];

    private static IReadOnlyList<string>[] ZetaStarRows(IEnumerable<ZetaStarSummary> zetaStars,
        Func<double, string> number) =>
        zetaStars.Select(z => (IReadOnlyList<string>)[number(z.Tau), z.Cases.ToString(CultureInfo.InvariantCulture),
            number(z.Mean), number(z.Q10), number(z.Q25), number(z.Median), number(z.Q75), number(z.Q90)]).ToArray();

    private static IEnumerable<string> ZetaStarCsv(IEnumerable<ZetaStarSummary> zetaStars) =>
        ZetaStarRows(zetaStars, PowerClip.Train.Reports.Csv.Number).Select(PowerClip.Train.Reports.Csv.Line)
            .Prepend(string.Join(",", ZetaStarHeader));

    private static IReadOnlyList<string>[] TableRows(IEnumerable<StudyRow> rows) =>
        rows.Select(r => (IReadOnlyList<string>)[Fmt(r.Tau, "G"), ZetaText(r.Zeta), r.Quantity, r.Estimator,
            Fmt(r.PearsonR, "F5"), Fmt(r.Mae, "F4"), Fmt(r.MeanError, "+0.0000;-0.0000")]).ToArray();

    private static readonly string[] Header = ["tau", "zeta", "quantity", "estimator", "pearson_r", "mae",
        "mean_error"];

    private static IEnumerable<string> Table(IEnumerable<StudyRow> rows)
    {
        yield return $"{Header[0],-7}{Header[1],-6}{Header[2],-9}{Header[3],-18}" +
            $"{Header[4],10}{Header[5],9}{Header[6],11}";
        foreach (var c in TableRows(rows))
            yield return $"{c[0],-7}{c[1],-6}{c[2],-9}{c[3],-18}{c[4],10}{c[5],9}{c[6],11}";
    }

    private static HtmlReport Html(StudyConfig config, StudySeries[] series, StudyRow[] rows,
        ZetaStarSummary[] zetaStars, string reproduce)
    {
        var report = new HtmlReport("PowerCLIP approximation study per pair (exact powerset vs NLA and extra " +
                                    "estimators; analogous to the paper's Figure 5, on assumed inputs)")
            .Paragraph($"{config.Cases} random inputs, M = {config.Regions} regions, captions of 5-15 words with " +
                       "parse-like trees (phrases plus root as nodes), similarities: " +
                       (config.Similarities.IsUniform ? "S0 uniform in [-1, 1]." :
                           "CLIP-like cosines (per-pair offset U(-0.1, 0.2), +U(0.1, 0.3) where a word is grounded " +
                               "in a region with probability 0.3, noise s.d. 0.1) [assumption]."))
            .Paragraph($"zeta reading: {NlaReadings.NameOf(config.Reading)} (lower: log cosh weight 1 - zeta; " +
                       "logcosh: weight zeta; linear: zeta U + (1 - zeta) L). " +
                       $"Monte Carlo: {config.McSamples} subsets per input. Estimators marked zeta = any do not " +
                           "depend on zeta.")
            .Code(reproduce);

        report.Heading("Pearson r and MAE against zeta");
        (string, double[], double[]) Line(double tau, string quantity, string estimator, Func<StudyRow, double> metric)
        {
            var cells = rows.Where(r => r.Tau == tau && r.Quantity == quantity && r.Estimator == estimator).ToArray();
            return ($"tau = {Fmt(tau, "G")}", cells.Select(r => r.Zeta!.Value).ToArray(),
                cells.Select(metric).ToArray());
        }
        report.Charts([
            ReportCharts.Lines(config.Taus.Select(t => Line(t, "r2t", "nla_t2", r => r.PearsonR)),
                "R2T: Pearson r of NLA-T2", "zeta", "r"),
            ReportCharts.Lines(config.Taus.Select(t => Line(t, "r2t", "nla_t2", r => r.Mae)), "R2T: MAE of NLA-T2",
                "zeta", "MAE"),
            ReportCharts.Lines(config.Taus.Select(t => Line(t, "total", "nla_t1+nla_t2", r => r.PearsonR)),
                "Total: Pearson r of NLA-T1 + NLA-T2", "zeta", "r"),
            ReportCharts.Lines(config.Taus.Select(t => Line(t, "total", "nla_t1+nla_t2", r => r.Mae)),
                "Total: MAE of NLA-T1 + NLA-T2", "zeta", "MAE"),
        ]);

        report.Heading("All cells").Table(Header, TableRows(rows));
        report.Heading("Theorem 2's zeta* per input (NLA-T2 = LSE-relaxed R2T), same reading")
            .Paragraph("Where a single zeta would have to sit for each input; its spread is why no fixed " +
                "zeta is exact.")
            .Table(ZetaStarHeader, ZetaStarRows(zetaStars, v => Fmt(v, "G4")));

        var shown = Math.Min(config.Cases, ScatterCases);
        report.Heading($"Exact (x) vs approximate (y), first {shown} inputs");
        foreach (var tau in config.Taus)
        {
            var panels = series.Where(s => s.Tau == tau && s.Estimator != "relu_exact"
                && !s.Estimator.StartsWith("relu+", StringComparison.Ordinal))
                .Select(s =>
                {
                    var row = ApproximationStudy.summarize(s);
                    var title = $"{s.Quantity} {s.Estimator}, tau={Fmt(tau, "G")}"
                        + (s.Zeta is { } z ? $", zeta={Fmt(z, "G")}" : "") + $" (r={Fmt(row.PearsonR, "F4")})";
                    return ReportCharts.Scatter(s.Exact.Take(shown).ToArray(), s.Approx.Take(shown).ToArray(), title,
                        "exact", "approximate");
                });
            report.Charts(panels);
        }
        return report;
    }
}
