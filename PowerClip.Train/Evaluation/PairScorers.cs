namespace PowerClip.Train.Evaluation;

/// <summary>A score for (image, caption) pairs, higher = better match: what SugarCrepe, ARO and Winoground
/// compare.</summary>
public interface IPairScorer
{
    /// <summary>How the scores are made, for results and tables.</summary>
    string Name { get; }

    double[] Score(IReadOnlyList<(string ImagePath, string Caption)> pairs);

    /// <summary>
    /// Scores for one query direction (<see cref="ScoreDirection.ImageToText"/>: captions compared for a fixed
    /// image). Only a score with two directions (FILIP's late interaction) overrides this.
    /// </summary>
    double[] Score(IReadOnlyList<(string ImagePath, string Caption)> pairs, ScoreDirection direction) => Score(pairs);

    /// <summary>True when the two directions give different scores (then both are computed where both are
    /// needed).</summary>
    bool Directional => false;
}

/// <summary>Scores each distinct pair once and looks them up by (image, caption).</summary>
public static class PairScores
{
    public static Dictionary<(string ImagePath, string Caption), double> Of(
        IPairScorer scorer, IEnumerable<(string ImagePath, string Caption)> pairs,
        ScoreDirection direction = ScoreDirection.ImageToText)
    {
        var distinct = pairs.Distinct().ToArray();
        var scores = scorer.Score(distinct, direction);
        if (scores.Length != distinct.Length) throw new InvalidOperationException(
            $"scorer returned {scores.Length} scores for {distinct.Length} pairs");
        return distinct.Zip(scores).ToDictionary(p => p.First, p => p.Second);
    }
}

/// <summary>The standard score: cosine of the global embeddings, each image and caption encoded once.</summary>
public sealed class CosineScorer(IEmbeddingEncoder encoder) : IPairScorer
{
    public string Name => BenchmarkSuite.GlobalCosine;

    public double[] Score(IReadOnlyList<(string ImagePath, string Caption)> pairs)
    {
        var images = encoder.EncodeImagesOnce(pairs.Select(p => p.ImagePath));
        var texts = encoder.EncodeTextsOnce(pairs.Select(p => p.Caption));
        return pairs.Select(p => EncoderExtensions.Cosine(images[p.ImagePath], texts[p.Caption])).ToArray();
    }
}
