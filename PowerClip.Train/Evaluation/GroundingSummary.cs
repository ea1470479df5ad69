namespace PowerClip.Train.Evaluation;

/// <summary>One phrase type's grounding numbers as JSON reports them.</summary>
public sealed record GroundingTypeSummary(int N, int PointingCorrect, double Pointing, double PointingCi95Low, double PointingCi95High, double MeanIou);

/// <summary>The grounding result without the per-phrase lists: what `eval grounding --out` and the demo's results.json hold.</summary>
public sealed record GroundingSummary(int Items, int Phrases, int Truncated, SortedDictionary<string, GroundingTypeSummary> Types)
{
    public static GroundingSummary Of(GroundingBenchmarkResult r)
    {
        var types = new SortedDictionary<string, GroundingTypeSummary>(StringComparer.Ordinal);
        foreach (var (name, s) in r.ByType.Append(new("all", r.All))) types[name] = Type(s);
        return new GroundingSummary(r.Items, r.Phrases, r.Truncated, types);
    }

    private static GroundingTypeSummary Type(GroundingScores s) =>
        new(s.Pointing.Total, s.Pointing.Correct, s.Pointing.Accuracy, s.Pointing.Ci95Low, s.Pointing.Ci95High, s.MeanIoU);
}
