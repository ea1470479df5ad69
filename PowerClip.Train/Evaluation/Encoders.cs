using PowerClip.Data;
using PowerClip.Train.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Evaluation;

/// <summary>
/// What a benchmark needs from a model: unit-norm global embeddings of images (by path) and of captions.
/// Benchmarks score with these only, so the scoring path can be checked with a fake encoder.
/// </summary>
public interface IEmbeddingEncoder
{
    float[][] EncodeImages(IReadOnlyList<string> imagePaths);
    float[][] EncodeTexts(IReadOnlyList<string> captions);
}

/// <summary>
/// The trained model's global embeddings (average-pooled and normalized, as CLIP's loss sees them), computed
/// in batches under no_grad with one DisposeScope per batch. Images get CLIP preprocessing at the model's size
/// (shorter side resized, centre crop); captions are tokenized and truncated as in training.
/// </summary>
public sealed class ModelEncoder(TrainedModel model, int batchSize = 64) : IEmbeddingEncoder
{
    private readonly ImageLoader _loader = new();

    public int BatchSize { get; } = batchSize >= 1 ? batchSize : throw new ArgumentException(
        $"batch size must be >= 1, got {batchSize}");

    public float[][] EncodeImages(IReadOnlyList<string> imagePaths) => Batched(imagePaths, batch =>
    {
        var (global, _) = model.Model.Visual.Encode(ImageBatch(batch));
        return nn.functional.normalize(global, dim: -1);
    });

    public float[][] EncodeTexts(IReadOnlyList<string> captions) => Batched(captions, batch =>
    {
        var tokens = model.Inputs.TokenBatch(batch.Select(model.Tokenizer.Encode).ToArray(), model.Device);
        var (global, _, _) = model.Model.Text.Encode(tokens);
        return nn.functional.normalize(global, dim: -1);
    });

    /// <summary>Images a benchmark names as the model's input batch [B, 3, H, W] (decoded, evaluation
    /// transform).</summary>
    public Tensor ImageBatch(IReadOnlyList<string> imagePaths) =>
        model.Inputs.ImageBatch(imagePaths.Select(LoadImage).ToArray(), model.Device);

    /// <summary>
    /// Decodes an image a benchmark names (a file, a tar shard member, optionally cropped:
    /// <see cref="BenchmarkImage"/>); a missing or undecodable image is a benchmark data error naming it.
    /// </summary>
    public RgbImage LoadImage(string path) => BenchmarkImage.Load(path, _loader);

    private float[][] Batched(IReadOnlyList<string> items, Func<IReadOnlyList<string>, Tensor> encode)
    {
        var result = new float[items.Count][];
        using var noGrad = torch.no_grad();
        for (var start = 0; start < items.Count; start += BatchSize)
        {
            using var scope = torch.NewDisposeScope();
            var batch = items.Skip(start).Take(BatchSize).ToArray();
            var embeds = encode(batch).to(torch.float32).cpu();
            var dim = (int)embeds.shape[1];
            var flat = embeds.data<float>().ToArray();
            for (var b = 0; b < batch.Length; b++) result[start + b] = flat.AsSpan(b * dim, dim).ToArray();
        }
        return result;
    }
}

/// <summary>Encoding helpers shared by the benchmarks.</summary>
public static class EncoderExtensions
{
    /// <summary>Each distinct image encoded once (SugarCrepe's categories share images).</summary>
    public static Dictionary<string, float[]> EncodeImagesOnce(this IEmbeddingEncoder encoder,
        IEnumerable<string> paths) => Once(paths, encoder.EncodeImages);

    /// <summary>Each distinct caption encoded once.</summary>
    public static Dictionary<string, float[]> EncodeTextsOnce(this IEmbeddingEncoder encoder,
        IEnumerable<string> captions) => Once(captions, encoder.EncodeTexts);

    private static Dictionary<string, float[]> Once(IEnumerable<string> keys,
        Func<IReadOnlyList<string>, float[][]> encode)
    {
        var distinct = keys.Distinct(StringComparer.Ordinal).ToArray();
        var vectors = encode(distinct);
        if (vectors.Length != distinct.Length) throw new InvalidOperationException(
            $"encoder returned {vectors.Length} embeddings for {distinct.Length} inputs");
        return distinct.Zip(vectors).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
    }

    /// <summary>Cosine similarity (the standard CLIP score on global embeddings).</summary>
    public static double Cosine(float[] a, float[] b)
    {
        if (a.Length != b.Length) throw new ArgumentException(
            $"embeddings differ in length: {a.Length} and {b.Length}");
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++) { dot += a[i] * (double)b[i]; na += a[i] * (double)a[i]; nb += b[i] * (
            double)b[i]; }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    /// <summary>scores[r, c] = cosine(rows[r], columns[c]).</summary>
    public static float[,] CosineMatrix(IReadOnlyList<float[]> rows, IReadOnlyList<float[]> columns)
    {
        var s = new float[rows.Count, columns.Count];
        for (var r = 0; r < rows.Count; r++)
            for (var c = 0; c < columns.Count; c++) s[r, c] = (float)Cosine(rows[r], columns[c]);
        return s;
    }
}

/// <summary>A benchmark folder that is missing, malformed or names files that do not exist.</summary>
public sealed class BenchmarkDataException(string message, Exception? inner = null) : Exception(message, inner);
