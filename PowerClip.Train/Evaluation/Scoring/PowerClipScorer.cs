using PowerClip.Data;
using PowerClip.Model;
using PowerClip.Train.Models;
using PowerClip.Train.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Evaluation;

/// <summary>
/// PowerCLIP's pairwise score S̄ = T2R + R2T (NLA-T1 + NLA-T2, with the checkpoint's τ, ζ, ζ reading, score scale
/// and ablation switches) instead of the global cosine. [ours, not the paper's protocol: the paper evaluates with
/// global embeddings] Regions at evaluation are the image's patches (M = N, φ_m = normalised patch token: every
/// region subset is then a set of patches); nodes are the caption tree's phrases plus the root, from the built-in
/// parser. For a fixed caption S̄ is comparable across images (same M, same nodes); across captions its scale moves
/// with |𝒯| (NLA-T2 is a log-sum-exp over nodes), which image→text ranking (SugarCrepe, ARO, retrieval's image
/// queries, zero-shot) accepts as part of the score. Symmetric: one value serves both query directions.
/// </summary>
public sealed class PowerClipScorer(TrainedModel model, int batchSize = 64, long chunkElements = 1L << 24)
    : TokenScorer(model, batchSize, chunkElements)
{
    public const string ScoreName = "PowerCLIP S̄ (NLA-T1 + NLA-T2, regions = patches)";

    private readonly PowerClipLossConfig _config =
        model.Config.LossSettings.PowerClip with { Aggregation = PowersetAggregation.Nla };

    public override string Id => EvaluationScores.PowerClip;

    public override string Name => ScoreName;

    /// <summary>φ: each patch its own region, normalised.</summary>
    protected override Tensor ImageFeatures(Tensor patches) => nn.functional.normalize(patches, dim: -1);

    /// <summary>p_B = Σ_{l∈B} ψ_l [B, T, E] and the node mask [B, T] (leaves as nodes in the no-tree
    /// ablation).</summary>
    protected override (Tensor Features, Tensor Mask) CaptionFeatures(IReadOnlyList<string> captions)
    {
        var inputs = Model.Inputs;
        var prepared = captions.Select(inputs.Prepare).ToArray();
        for (var b = 0; b < captions.Count; b++)
            if (prepared[b].Loss.LeafSpans.Length == 0)
                throw new BenchmarkDataException($"caption '{captions[b]}' has no word the text encoder sees");
        var (_, feats, _) = Model.Model.Text.Encode(inputs.TokenBatch(prepared.Select(p => p.Tokens).ToArray(),
            Model.Device));
        using var phrases = inputs.PhraseBatch(prepared, Model.Device);
        var psi = phrases.LeafEmbeddings(feats);
        var (membership, mask) = _config.UseTree
            ? (phrases.Membership, phrases.NodeMask) : phrases.LeavesAsNodes(psi.dtype);
        return (PowerClipScores.NodeEmbeddings(psi, membership), mask.clone());
    }

    protected override (Tensor ImageToText, Tensor TextToImage) Scores(Tensor images, Tensor captions, Tensor mask)
    {
        var s1 = torch.matmul(images, captions.transpose(-1, -2));   // S1 [..., M, T]
        // Pairs: S1 [P, M, T] with masks [P, T] is the diagonal of a [1, P] batch; blocks: [Bi, Bj, M, T], [1, Bj, T].
        var s = s1.dim() == 3 ? PowerClipScores.Combine(s1.unsqueeze(0), mask, _config).squeeze(0)
            : PowerClipScores.Combine(s1, mask.squeeze(0), _config);
        return (s, s);
    }
}
