namespace PowerClip.Train.Evaluation;

/// <summary>
/// Zero-shot classification: top-1, top-5 (five or more classes, as CLIP_benchmark) and mean per-class recall;
/// top-1 over the held-out classes when the folder lists them (this project's synthetic export).
/// </summary>
public sealed record ZeroShotResult(
    string Dataset, string Layout, int Classes, int Images, int Templates,
    Proportion Top1, Proportion? Top5, double MeanPerClassRecall, int RecallClasses, Proportion? HeldOutTop1)
    : IBenchmarkResult
{
    public string Benchmark => "zeroshot";

    public IEnumerable<(string Metric, Proportion Value)> Rows()
    {
        yield return ("top-1", Top1);
        if (Top5 is not null) yield return ("top-5", Top5);
        if (HeldOutTop1 is not null) yield return ("top-1, held-out classes", HeldOutTop1);
        if (SeenTop1 is not null) yield return ("top-1, seen classes", SeenTop1);
    }

    /// <summary>Top-1 over the classes not listed as held out (when some are): the complement of HeldOutTop1.</summary>
    public Proportion? SeenTop1 { get; init; }

    public IEnumerable<ResultLine> Lines() =>
        Rows().Select(r => ResultLine.Of(r.Metric, r.Value))
            .Append(new ResultLine("mean per-class recall", MeanPerClassRecall, RecallClasses));
}

/// <summary>
/// Zero-shot classification with prompt-template ensembles (CLIP's protocol, as CLIP_benchmark computes it). With
/// the global cosine each class's text embedding is the normalised mean of its templates' normalised embeddings and
/// an image's class is the nearest by cosine. With a token-level score (FILIP, SPARC, S̄) there is no class
/// embedding: the class score is the mean of the image's scores with the class's prompts [ours], image→text.
/// Layouts: <see cref="ClassificationReader"/>. Ties count against the image (a tie is not a hit).
/// </summary>
public static class ZeroShotBenchmark
{
    public static bool Present(string dir) => ClassificationReader.Present(dir);

    public static ZeroShotResult Run(IEmbeddingEncoder encoder, string dir, string? dataset = null) =>
        Run(EvaluationScore.Cosine(encoder), dir, dataset);

    public static ZeroShotResult Run(EvaluationScore score, string dir, string? dataset = null) =>
        Run(score, ClassificationReader.Read(dir, dataset));

    public static ZeroShotResult Run(EvaluationScore score, ClassificationSet set)
    {
        var names = set.ClassNames;
        var templates = set.Templates;
        var prompts = names.SelectMany(n => templates.Select(t => t.Replace("{c}", n, StringComparison.Ordinal)))
            .ToArray();
        var images = set.Samples.Select(s => s.Image).ToArray();
        float[,] scores;
        if (score.Embeddings is { } encoder)
        {
            var promptEmbeds = encoder.EncodeTexts(prompts);
            var classEmbeds = Enumerable.Range(0, names.Count)
                .Select(k => MeanDirection(promptEmbeds.Skip(k * templates.Count).Take(templates.Count))).ToArray();
            scores = EncoderExtensions.CosineMatrix(encoder.EncodeImages(images), classEmbeds);
        }
        else scores = score.Matrix.GroupMeans(images, prompts, templates.Count, ScoreDirection.ImageToText);
        var labels = set.Samples.Select(s => s.Label).ToArray();
        Proportion? heldOut = null, seen = null;
        var top1 = Metrics.TopKHits(scores, labels, 1);
        if (set.HeldOutClasses is { } held)
        {
            var rows = Enumerable.Range(0, labels.Length).Where(i => held.Contains(names[labels[i]])).ToArray();
            if (rows.Length > 0) heldOut = Proportion.Count(rows.Select(i => top1[i]));
            var others = Enumerable.Range(0, labels.Length).Where(i => !held.Contains(names[labels[i]])).ToArray();
            if (rows.Length > 0 && others.Length > 0) seen = Proportion.Count(others.Select(i => top1[i]));
        }
        var (recall, recallClasses) = Metrics.MeanPerClassRecall(scores, labels);
        return new ZeroShotResult(set.Name, set.Layout, names.Count, images.Length, templates.Count,
            Proportion.Count(top1),
            names.Count >= 5 ? Proportion.Count(Metrics.TopKHits(scores, labels, 5)) : null,
            recall, recallClasses, heldOut)
        {
            SeenTop1 = seen,
        };
    }

    /// <summary>The ensemble's class embedding: the mean of unit vectors, renormalised (CLIP's zero-shot
    /// classifier).</summary>
    public static float[] MeanDirection(IEnumerable<float[]> vectors)
    {
        var list = vectors.ToList();
        var mean = new double[list[0].Length];
        foreach (var v in list)
        {
            var norm = Math.Sqrt(v.Sum(x => (double)x * x));
            for (var i = 0; i < v.Length; i++) mean[i] += norm == 0 ? 0 : v[i] / norm;
        }
        var n = Math.Sqrt(mean.Sum(x => x * x));
        return mean.Select(x => (float)(n == 0 ? 0 : x / n)).ToArray();
    }
}
