using PowerClip.Model;
using PowerClip.Data;
using PowerClip.Train.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Evaluation;

/// <summary>A score for (image, caption) pairs, higher = better match: what SugarCrepe, ARO and Winoground compare.</summary>
public interface IPairScorer
{
    /// <summary>How the scores are made, for results and tables.</summary>
    string Name { get; }

    double[] Score(IReadOnlyList<(string ImagePath, string Caption)> pairs);
}

/// <summary>Scores each distinct pair once and looks them up by (image, caption).</summary>
public static class PairScores
{
    public static Dictionary<(string ImagePath, string Caption), double> Of(IPairScorer scorer, IEnumerable<(string ImagePath, string Caption)> pairs)
    {
        var distinct = pairs.Distinct().ToArray();
        var scores = scorer.Score(distinct);
        if (scores.Length != distinct.Length) throw new InvalidOperationException($"scorer returned {scores.Length} scores for {distinct.Length} pairs");
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

/// <summary>
/// PowerCLIP's pairwise score S̄ = T2R + R2T (NLA-T1 + NLA-T2, with the checkpoint's τ, ζ, ζ reading and
/// ablation switches) instead of the global cosine. [ours, not the paper's protocol: the paper evaluates with
/// global embeddings] Regions at evaluation are the image's patches (M = N, φ_m = normalised patch token: every
/// region subset is then a set of patches); nodes are the caption tree's phrases plus the root, from the
/// built-in parser; S̄ is scaled as in training (PowerClipLossConfig.Scale). Scores of different images need not be
/// comparable in scale (S̄ grows with |𝒯|, and with M under ScoreScale.Sum), but the
/// pairwise benchmarks only compare captions of one image or images of one caption pair.
/// </summary>
public sealed class PowerClipScorer(TrainedModel model, int batchSize = 64) : IPairScorer
{
    public const string ScoreName = "PowerCLIP S̄ (NLA-T1 + NLA-T2, regions = patches)";

    private readonly ModelEncoder _images = new(model, batchSize);
    private readonly PowerClipLossConfig _config = model.Config.LossSettings.PowerClip with { Aggregation = PowersetAggregation.Nla };

    public string Name => ScoreName;

    public double[] Score(IReadOnlyList<(string ImagePath, string Caption)> pairs)
    {
        var imagePaths = pairs.Select(p => p.ImagePath).Distinct(StringComparer.Ordinal).ToArray();
        var captions = pairs.Select(p => p.Caption).Distinct(StringComparer.Ordinal).ToArray();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var phi = RegionEmbeddings(imagePaths);
        var nodes = NodeEmbeddings(captions);
        var result = new double[pairs.Count];
        for (var k = 0; k < pairs.Count; k++)
        {
            using var pairScope = torch.NewDisposeScope();
            var (p, mask) = nodes[pairs[k].Caption];
            var s1 = torch.matmul(phi[pairs[k].ImagePath], p.t()).unsqueeze(0).unsqueeze(0);   // S1 [1, 1, M, T]
            result[k] = PowerClipScores.Combine(s1, mask, _config).ToDouble();
        }
        return result;
    }

    /// <summary>φ [N, E] per image: each patch its own region.</summary>
    private Dictionary<string, Tensor> RegionEmbeddings(IReadOnlyList<string> paths)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var batch in paths.Chunk(_images.BatchSize))
        {
            var (_, patches) = model.Model.Visual.Encode(_images.ImageBatch(batch));
            var phi = nn.functional.normalize(patches, dim: -1);
            for (var b = 0; b < batch.Length; b++) result[batch[b]] = phi[b];
        }
        return result;
    }

    /// <summary>p_B = Σ_{l∈B} ψ_l [T, E] and an all-true node mask [1, T] per caption (leaves as nodes in the no-tree ablation).</summary>
    private Dictionary<string, (Tensor Nodes, Tensor Mask)> NodeEmbeddings(IReadOnlyList<string> captions)
    {
        var inputs = model.Inputs;
        var result = new Dictionary<string, (Tensor, Tensor)>(StringComparer.Ordinal);
        foreach (var batch in captions.Chunk(_images.BatchSize))
        {
            var prepared = batch.Select(inputs.Prepare).ToArray();
            for (var b = 0; b < batch.Length; b++)
                if (prepared[b].Loss.LeafSpans.Length == 0) throw new BenchmarkDataException($"caption '{batch[b]}' has no word the text encoder sees");
            var (_, feats, _) = model.Model.Text.Encode(inputs.TokenBatch(prepared.Select(p => p.Tokens).ToArray(), model.Device));
            var phrases = inputs.PhraseBatch(prepared, model.Device);
            var psi = phrases.LeafEmbeddings(feats);
            var (membership, _) = _config.UseTree ? (phrases.Membership, phrases.NodeMask) : phrases.LeavesAsNodes(psi.dtype);
            var nodes = PowerClipScores.NodeEmbeddings(psi, membership);
            for (var b = 0; b < batch.Length; b++)
            {
                var count = _config.UseTree ? prepared[b].Loss.Nodes.Length : prepared[b].Loss.LeafSpans.Length;
                result[batch[b]] = (nodes[b, ..count], torch.ones(1, count, dtype: torch.@bool, device: model.Device));
            }
        }
        return result;
    }
}
