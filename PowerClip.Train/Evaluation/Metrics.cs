namespace PowerClip.Train.Evaluation;

/// <summary>
/// Benchmark metrics as pure functions of score matrices, so one implementation serves the synthetic
/// exports and real data. Scores: higher means a better match.
/// </summary>
public static class Metrics
{
    /// <summary>Top-k accuracy: scores[i, c] for sample i and class c, labels[i] the true class.</summary>
    public static double TopK(float[,] scores, IReadOnlyList<int> labels, int k) => Rate(TopKHits(scores, labels, k));

    /// <summary>Per sample: whether its true class ranks in the top k (the items behind <see cref="TopK"/>).</summary>
    public static bool[] TopKHits(float[,] scores, IReadOnlyList<int> labels, int k)
    {
        var n = scores.GetLength(0);
        CheckRows(n, labels.Count, "labels");
        if (n == 0) throw new ArgumentException("no samples to score");
        return Enumerable.Range(0, n).Select(i => RankOf(scores, i, labels[i]) < k).ToArray();
    }

    /// <summary>
    /// Mean per-class recall of the top-1 predictions (CLIP_benchmark's mean_per_class_recall, sklearn's
    /// balanced_accuracy_score): the mean over the classes that occur in <paramref name="labels"/> of the fraction
    /// of their samples predicted correctly. Returns the value and the number of classes averaged.
    /// </summary>
    public static (double Value, int Classes) MeanPerClassRecall(float[,] scores, IReadOnlyList<int> labels)
    {
        var n = scores.GetLength(0);
        CheckRows(n, labels.Count, "labels");
        if (n == 0) throw new ArgumentException("no samples to score");
        var byClass = Enumerable.Range(0, n).GroupBy(i => labels[i]).ToArray();
        var recall = byClass.Average(g => g.Count(i => RankOf(scores, i, labels[i]) < 1) / (double)g.Count());
        return (recall, byClass.Length);
    }

    /// <summary>
    /// Recall@k for one query direction: queries[q] is relevant to the targets in relevant[q]; a hit
    /// when any relevant target ranks in the top k. Ties with irrelevant targets count against the query;
    /// the other relevant targets are not competitors (an image's identical captions must not push each other out).
    /// </summary>
    public static double RecallAtK(float[,] scores, IReadOnlyList<IReadOnlyCollection<int>> relevant, int k) =>
        Rate(RecallHits(scores, relevant, k));

    /// <summary>Per query: whether a relevant target ranks in the top k (<see cref="RecallAtK"/>'s items).</summary>
    public static bool[] RecallHits(float[,] scores, IReadOnlyList<IReadOnlyCollection<int>> relevant, int k)
    {
        var n = scores.GetLength(0);
        CheckRows(n, relevant.Count, "relevance lists");
        if (n == 0) throw new ArgumentException("no queries to score");
        var hits = new bool[n];
        for (var q = 0; q < n; q++)
        {
            var best = relevant[q].Max(t => scores[q, t]);
            var above = 0;
            for (var c = 0; c < scores.GetLength(1); c++)
                if (!relevant[q].Contains(c) && scores[q, c] >= best) above++;
            hits[q] = above < k;
        }
        return hits;
    }

    private static double Rate(bool[] hits) => (double)hits.Count(h => h) / hits.Length;

    /// <summary>Number of entries in row i that beat (or tie) the target column: 0 means the target ranks
    /// first.</summary>
    public static int RankOf(float[,] scores, int row, int target)
    {
        var s = scores[row, target];
        var rank = 0;
        for (var c = 0; c < scores.GetLength(1); c++)
            if (c != target && scores[row, c] >= s) rank++;
        return rank;
    }

    /// <summary>SugarCrepe/ARO: the fraction of items whose true caption outscores the negative (a tie is a
    /// miss).</summary>
    public static double PairwiseAccuracy(IReadOnlyList<(double Positive, double Negative)> pairs) =>
        pairs.Count == 0 ? throw new ArgumentException("no pairs to score") : pairs.Count(p =>
            p.Positive > p.Negative) / (double)pairs.Count;

    /// <summary>
    /// Winoground scores from s[image, caption] of a 2×2 item (image k matches caption k): text score
    /// (each image prefers its caption), image score (each caption prefers its image), group (both).
    /// </summary>
    public static (bool Text, bool Image, bool Group) Winoground(double s00, double s01, double s10, double s11)
    {
        var text = s00 > s01 && s11 > s10;
        var image = s00 > s10 && s11 > s01;
        return (text, image, text && image);
    }

    /// <summary>Wilson score interval for a proportion (95% by default): sound at small n and near 0 or 1.</summary>
    public static (double Low, double High) WilsonInterval(int successes, int n, double z = 1.959963984540054)
    {
        if (n <= 0) throw new ArgumentException($"n must be > 0, got {n}");
        if (successes < 0 || successes > n) throw new ArgumentException(
            $"successes must be in [0, {n}], got {successes}");
        var p = (double)successes / n;
        var z2 = z * z;
        var centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        var half = z / (1 + z2 / n) * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    private static void CheckRows(int rows, int count, string what)
    {
        if (rows != count) throw new ArgumentException($"score matrix has {rows} rows but {count} {what}");
    }
}
