namespace PowerClip.Train.Evaluation;

/// <summary>One phrase type's grounding numbers as JSON reports them.</summary>
public sealed record GroundingTypeSummary(int N, int PointingCorrect, double Pointing, double PointingCi95Low,
                                          double PointingCi95High, double MeanIou);

/// <summary>The grounding result without per-phrase lists (`eval grounding --out`, the demo's results.json).</summary>
public sealed record GroundingSummary(int Items, int Phrases, int Truncated,
                                      SortedDictionary<string, GroundingTypeSummary> Types)
{
    public static GroundingSummary Of(GroundingBenchmarkResult r)
    {
        var types = new SortedDictionary<string, GroundingTypeSummary>(StringComparer.Ordinal);
        foreach (var (name, s) in r.ByType.Append(new("all", r.All))) types[name] = Type(s);
        return new GroundingSummary(r.Items, r.Phrases, r.Truncated, types);
    }

    private static GroundingTypeSummary Type(GroundingScores s)
    {
        var p = s.Pointing;
        return new(p.Total, p.Correct, p.Accuracy, p.Ci95Low, p.Ci95High, s.MeanIoU);
    }
}
