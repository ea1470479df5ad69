using PowerClip.Train.Models;
using PowerClip.Train.Training;

namespace PowerClip.Train.Evaluation;

/// <summary>Which side is the query: image→text compares captions for a fixed image, text→image images for a fixed
/// caption.</summary>
public enum ScoreDirection { ImageToText, TextToImage }

/// <summary>A score that can rank: every image against every caption (rows images, columns captions).</summary>
public interface IMatrixScorer
{
    string Name { get; }

    /// <summary>The score matrix for image queries and the one for caption queries (equal for symmetric
    /// scores).</summary>
    (float[,] ImageToText, float[,] TextToImage) Matrices(IReadOnlyList<string> images, IReadOnlyList<string> captions);

    /// <summary>
    /// Every image against groups of <paramref name="groupSize"/> consecutive captions (zero-shot: a class's prompts),
    /// each group's scores averaged: [images, captions / groupSize].
    /// </summary>
    float[,] GroupMeans(
        IReadOnlyList<string> images, IReadOnlyList<string> captions, int groupSize, ScoreDirection direction)
    {
        var (i2t, t2i) = Matrices(images, captions);
        return ScoreMatrices.GroupMeans(direction == ScoreDirection.ImageToText ? i2t : t2i, groupSize);
    }
}

/// <summary>Reductions of score matrices.</summary>
public static class ScoreMatrices
{
    /// <summary>Means over consecutive column groups: [R, G·K] → [R, K].</summary>
    public static float[,] GroupMeans(float[,] scores, int groupSize)
    {
        var (rows, cols) = (scores.GetLength(0), scores.GetLength(1));
        if (groupSize < 1 || cols % groupSize != 0)
            throw new ArgumentException($"{cols} columns do not split into groups of {groupSize}");
        var result = new float[rows, cols / groupSize];
        for (var r = 0; r < rows; r++)
            for (var k = 0; k < cols / groupSize; k++)
            {
                double sum = 0;
                for (var g = 0; g < groupSize; g++) sum += scores[r, k * groupSize + g];
                result[r, k] = (float)(sum / groupSize);
            }
        return result;
    }
}

/// <summary>The standard score as a matrix: cosines of the global embeddings (one matrix serves both
/// directions).</summary>
public sealed class CosineMatrixScorer(IEmbeddingEncoder encoder) : IMatrixScorer
{
    public string Name => BenchmarkSuite.GlobalCosine;

    public (float[,] ImageToText, float[,] TextToImage) Matrices(
        IReadOnlyList<string> images, IReadOnlyList<string> captions)
    {
        var scores = EncoderExtensions.CosineMatrix(encoder.EncodeImages(images), encoder.EncodeTexts(captions));
        return (scores, scores);
    }
}

/// <summary>
/// One way of scoring image–caption pairs, as every benchmark uses it: pairwise (SugarCrepe, Winoground, ARO) and
/// as a matrix (retrieval, zero-shot). <see cref="Embeddings"/> is set for the global cosine only: zero-shot then
/// ensembles prompt templates by averaging embeddings (CLIP's protocol); other scores average per-template scores.
/// </summary>
public sealed record EvaluationScore(
    string Id, string Name, IPairScorer Pairs, IMatrixScorer Matrix, IEmbeddingEncoder? Embeddings = null)
{
    public static EvaluationScore Cosine(IEmbeddingEncoder encoder) =>
        new(EvaluationScores.Cosine, BenchmarkSuite.GlobalCosine, new CosineScorer(encoder),
            new CosineMatrixScorer(encoder), encoder);

    public static EvaluationScore Of(TokenScorer scorer) => new(scorer.Id, scorer.Name, scorer, scorer);
}

/// <summary>
/// The scores `powerclip eval --score` accepts. The protocol default is the paper's: the global cosine for every
/// model and benchmark. Each objective's own score is offered beside it: FILIP's late interaction, SPARC's
/// fine-grained score, PowerCLIP's S̄; any of them can be computed for any checkpoint (every model has patch
/// tokens and token features).
/// </summary>
public static class EvaluationScores
{
    public const string Cosine = "cosine";
    public const string Filip = "filip";
    public const string Sparc = "sparc";
    public const string PowerClip = "powerclip";

    /// <summary>The protocol default (the paper's).</summary>
    public const string ProtocolDefault = Cosine;

    public static readonly string[] Ids = [Cosine, Filip, Sparc, PowerClip];

    /// <summary>The score an objective trained: FILIP late interaction, SPARC fine-grained, S̄ for every PowerCLIP
    /// variant; else the cosine.</summary>
    public static string OwnScore(string loss) => loss switch
    {
        "filip" => Filip,
        "sparc" => Sparc,
        _ when loss.StartsWith("powerclip", StringComparison.Ordinal) => PowerClip,
        _ => Cosine,
    };

    /// <summary>
    /// A --score value: a comma list of ids, "own" (the cosine and the checkpoint's own score) or "all". The cosine
    /// comes first whenever it is asked for; duplicates are dropped. Unknown names are an ArgumentException.
    /// </summary>
    public static IReadOnlyList<string> Parse(string option, string loss)
    {
        var ids = new List<string>();
        foreach (var part in option.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            IEnumerable<string> add = part switch
            {
                "own" => [Cosine, OwnScore(loss)],
                "all" => Ids,
                _ when Ids.Contains(part) => [part],
                _ => throw new ArgumentException(
                    $"unknown score '{part}': expected {string.Join(", ", Ids)}, own or all"),
            };
            foreach (var id in add) if (!ids.Contains(id)) ids.Add(id);
        }
        if (ids.Count == 0) throw new ArgumentException("no score given");
        return ids.OrderBy(id => Array.IndexOf(Ids, id)).ToArray();
    }

    /// <summary>The scorer for an id on a loaded model.</summary>
    public static EvaluationScore For(string id, TrainedModel model, int batchSize) => id switch
    {
        Cosine => EvaluationScore.Cosine(new ModelEncoder(model, batchSize)),
        Filip => EvaluationScore.Of(new FilipScorer(model, batchSize)),
        Sparc => EvaluationScore.Of(new SparcScorer(model, batchSize)),
        PowerClip => EvaluationScore.Of(new PowerClipScorer(model, batchSize)),
        _ => throw new ArgumentException($"unknown score '{id}'"),
    };
}
