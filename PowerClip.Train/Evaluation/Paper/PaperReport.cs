using System.Globalization;
using System.Text.Json.Nodes;
using PowerClip.Train.Reports;
using Spectre.Console;

namespace PowerClip.Train.Evaluation;

/// <summary>`eval paper`'s outputs: console tables, results.json and report.html, our numbers beside the paper's
/// averages.</summary>
public static class PaperReport
{
    private static string Pct(double? v) => v is { } x ? x.ToString("F1", CultureInfo.InvariantCulture) : "—";

    /// <summary>Per group: our average (values present / expected) and the paper's per method.</summary>
    public static List<string[]> SummaryRows(PaperTable table, PaperScoreResult r) =>
        r.Groups.Select(g => new[] { g.Title, Ours(g) }
            .Concat(table.Methods.Select(m => g.Reported.TryGetValue(m, out var v) ? Pct(v) : "—")).ToArray()).ToList();

    /// <summary>Per dataset: status, the main metrics (%) and the folder read (relative to ROOT), or why it
    /// failed.</summary>
    public static List<string[]> DatasetRows(PaperScoreResult r, string root) =>
        r.Datasets.Select(d => new[]
        {
            d.Group, d.Dataset, d.Status,
            string.Join(", ", d.Metrics.Where(m => IsMain(m.Key)).Select(m => $"{m.Key} {Pct(100 * m.Value)}")),
            d.Error ?? (d.Folder is null ? "" : Path.GetRelativePath(root, d.Folder)),
        }).ToList();

    private static string Ours(PaperGroupResult g) => g.Expected == 0 ? "per dataset, below"
        : $"{Pct(g.Ours)} ({g.Values}/{g.Expected}{(g.Complete ? "" : ", incomplete")})";

    private static bool IsMain(string metric) =>
        !metric.Contains(": ", StringComparison.Ordinal) && !metric.Contains("R@5", StringComparison.Ordinal)
        && !metric.Contains("R@10", StringComparison.Ordinal);

    public static void Print(PaperTable table, PaperScoreResult r, string root)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        // Redirected output gets Spectre's 80 columns, which wraps every cell of these wide tables.
        console.Profile.Width = Math.Max(console.Profile.Width, 160);
        var summary = new Table().AddColumns(new[] { "group", $"ours ({r.Score})" }.Concat(table.Methods).ToArray());
        foreach (var row in SummaryRows(table, r)) summary.AddRow(row.Select(c => Markup.Escape(c)).ToArray());
        var datasets = new Table().AddColumns("group", "dataset", "status", "metrics (%)", "folder / reason");
        foreach (var row in DatasetRows(r, root)) datasets.AddRow(row.Select(c => Markup.Escape(c)).ToArray());
        console.Write(summary);
        console.Write(datasets);
    }

    public static JsonObject Json(
        PaperTable table, string checkpoint, string objective, string root, IReadOnlyList<PaperScoreResult> results)
    {
        var scores = new JsonObject();
        var byScore = new JsonObject();
        foreach (var r in results)
        {
            scores[r.Score] = r.ScoreName;
            byScore[r.Score] = JsonNode.Parse(ResultJson.Serialize(new { r.Groups, r.Datasets }));
        }
        var provenance = new JsonObject();
        foreach (var g in table.Groups) provenance[g.Id] = g.DatasetsProvenance;
        return new JsonObject
        {
            ["checkpoint"] = checkpoint, ["objective"] = objective, ["data_root"] = root,
            ["protocol_default"] = EvaluationScores.ProtocolDefault, ["scores"] = scores,
            ["reported_source"] = table.Source, ["datasets_provenance"] = provenance, ["results"] = byScore,
        };
    }

    public static void SaveHtml(
        string path, PaperTable table, string checkpoint, string root, IReadOnlyList<PaperScoreResult> results)
    {
        var report = new HtmlReport("PowerCLIP paper table: this checkpoint beside the paper's averages")
            .Paragraph($"Checkpoint {checkpoint}; datasets under {root}. Our values are percentages; a group marked " +
                       "incomplete averages fewer datasets than the paper and is not comparable with its averages.")
            .Paragraph("Reported averages: " + table.Source);
        foreach (var g in table.Groups) report.Paragraph($"{g.Title} — {g.Metric}. {g.DatasetsProvenance}");
        foreach (var r in results)
        {
            var protocol = r.Score == EvaluationScores.ProtocolDefault ? " (the paper's protocol)" : "";
            report.Heading($"Score: {r.ScoreName}{protocol}")
                .Table(new[] { "group", "ours" }.Concat(table.Methods).ToArray(), SummaryRows(table, r))
                .Table(["group", "dataset", "status", "metrics (%)", "folder / reason"], DatasetRows(r, root));
        }
        report.Save(path);
    }
}
