namespace PowerClip.Train.Evaluation;

/// <summary>One dataset of the table: ok, missing (no folder under ROOT) or failed (its one-line reason); its metrics
/// (fractions).</summary>
public sealed record PaperDatasetResult(
    string Group, string Dataset, string Status, string? Folder, string? Error,
    SortedDictionary<string, double> Metrics)
{
    public const string Ok = "ok", Missing = "missing", Failed = "failed";
}

/// <summary>A group's average over the values present (%), how many values it rests on, and the paper's
/// averages.</summary>
public sealed record PaperGroupResult(
    string Id, string Title, string Metric, double? Ours, int Values, int Expected,
    IReadOnlyDictionary<string, double> Reported)
{
    /// <summary>Comparable with the paper's averages only when every value is present.</summary>
    public bool Complete => Values == Expected && Expected > 0;
}

/// <summary>The whole table under one score.</summary>
public sealed record PaperScoreResult(
    string Score, string ScoreName, List<PaperDatasetResult> Datasets, List<PaperGroupResult> Groups);

/// <summary>
/// `powerclip eval paper`: every dataset of a <see cref="PaperTable"/> found under ROOT is evaluated with the given
/// score; a dataset without a folder is reported missing, one whose files are bad is reported failed with the reason
/// (the others still run). Group averages are computed over what is present and marked incomplete otherwise.
/// </summary>
public static class PaperEvaluation
{
    /// <summary>The metrics a group averages: top-1 for classification sets, R@1 in both directions for
    /// retrieval.</summary>
    public static string[] AveragedMetrics(string task) => task switch
    {
        "zeroshot" => ["top-1"],
        "retrieval" => ["image→text R@1", "text→image R@1"],
        _ => [],
    };

    /// <summary>Runs the table; <paramref name="progress"/> sees the result after every dataset (to save it).</summary>
    public static PaperScoreResult Run(
        EvaluationScore score, PaperTable table, string root, Action<PaperScoreResult>? progress = null)
    {
        BenchmarkFiles.RequireDirectory(root);
        var result = new PaperScoreResult(score.Id, score.Name, [], []);
        foreach (var group in table.Groups)
            foreach (var dataset in group.Datasets)
            {
                result.Datasets.Add(Evaluate(score, group, dataset, root));
                Summarise(table, result);
                progress?.Invoke(result);
            }
        Summarise(table, result);
        return result;
    }

    private static PaperDatasetResult Evaluate(
        EvaluationScore score, PaperGroup group, PaperDataset dataset, string root)
    {
        var located = PaperTable.Locate(root, dataset);
        if (located is null) return new(group.Id, dataset.Id, PaperDatasetResult.Missing, null, null, []);
        var (folder, name) = located.Value;
        try
        {
            var metrics = Metrics(group.TaskOf(dataset) switch
            {
                "zeroshot" => ZeroShotBenchmark.Run(score, folder, name),
                "retrieval" => RetrievalBenchmark.Run(score, folder),
                "sugarcrepe" => SugarCrepeBenchmark.Run(score.Pairs, folder),
                _ => WinogroundBenchmark.Run(score.Pairs, folder),
            });
            return new(group.Id, dataset.Id, PaperDatasetResult.Ok, folder, null, metrics);
        }
        catch (BenchmarkDataException e)
        {
            return new(group.Id, dataset.Id, PaperDatasetResult.Failed, folder, e.Message, []);
        }
    }

    /// <summary>A result's lines as name → value; SugarCrepe also gets the mean over its categories.</summary>
    private static SortedDictionary<string, double> Metrics(IBenchmarkResult r)
    {
        var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in r.Lines()) metrics[line.Metric] = line.Value;
        if (r is SugarCrepeResult sc) metrics["mean over categories"] = sc.Categories.Values.Average(p => p.Accuracy);
        return metrics;
    }

    private static void Summarise(PaperTable table, PaperScoreResult result)
    {
        result.Groups.Clear();
        foreach (var g in table.Groups)
        {
            var values = new List<double>();
            var expected = 0;
            foreach (var d in g.Datasets)
            {
                var keys = AveragedMetrics(g.TaskOf(d));
                expected += keys.Length;
                var r = result.Datasets.FirstOrDefault(x =>
                    x.Group == g.Id && x.Dataset == d.Id && x.Status == PaperDatasetResult.Ok);
                if (r is not null) values.AddRange(keys.Where(r.Metrics.ContainsKey).Select(k => r.Metrics[k]));
            }
            var ours = values.Count > 0 ? 100 * values.Average() : (double?)null;
            result.Groups.Add(new PaperGroupResult(g.Id, g.Title, g.Metric, ours, values.Count, expected, g.Reported));
        }
    }
}
