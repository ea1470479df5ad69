namespace PowerClip.Train.Evaluation;

/// <summary>Recall at 1, 5 and 10 for one direction.</summary>
public sealed record Recalls(Proportion R1, Proportion R5, Proportion R10);

public sealed record RetrievalResult(string Layout, int Images, int Captions, Recalls ImageToText, Recalls TextToImage)
    : IBenchmarkResult
{
    public string Benchmark => "retrieval";

    public IEnumerable<(string Metric, Proportion Value)> Rows() =>
    [
        ("image→text R@1", ImageToText.R1), ("image→text R@5", ImageToText.R5), ("image→text R@10", ImageToText.R10),
        ("text→image R@1", TextToImage.R1), ("text→image R@5", TextToImage.R5), ("text→image R@10", TextToImage.R10),
    ];
}

/// <summary>
/// Image–text retrieval (layouts: <see cref="RetrievalReader"/>). Image→text: a hit when any of the image's captions
/// ranks in the top k; text→image: the caption's image (CLIP_benchmark's text_retrieval_recall and
/// image_retrieval_recall). Image queries rank with the score's image→text matrix, caption queries with its
/// text→image matrix (they differ for FILIP only).
/// </summary>
public static class RetrievalBenchmark
{
    public static bool Present(string dir) => RetrievalReader.Present(dir);

    public static RetrievalResult Run(IEmbeddingEncoder encoder, string dir) =>
        Run(EvaluationScore.Cosine(encoder), dir);

    public static RetrievalResult Run(EvaluationScore score, string dir) => Run(score, RetrievalReader.Read(dir));

    public static RetrievalResult Run(EvaluationScore score, RetrievalSet set)
    {
        var (i2t, t2iByImage) = score.Matrix.Matrices(set.Images, set.Captions);
        var t2i = Transpose(t2iByImage);
        var textRelevant = set.CaptionImage.Select(i => (IReadOnlyCollection<int>)new[] { i }).ToArray();
        Recalls Of(float[,] scores, IReadOnlyList<IReadOnlyCollection<int>> relevant) => new(
            Proportion.Count(Metrics.RecallHits(scores, relevant, 1)),
            Proportion.Count(Metrics.RecallHits(scores, relevant, 5)),
            Proportion.Count(Metrics.RecallHits(scores, relevant, 10)));
        return new RetrievalResult(set.Layout, set.Images.Count, set.Captions.Count,
            Of(i2t, set.ImageCaptions), Of(t2i, textRelevant));
    }

    private static float[,] Transpose(float[,] m)
    {
        var t = new float[m.GetLength(1), m.GetLength(0)];
        for (var i = 0; i < m.GetLength(0); i++)
            for (var j = 0; j < m.GetLength(1); j++) t[j, i] = m[i, j];
        return t;
    }
}
