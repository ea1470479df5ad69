using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// FILIP's token-wise late interaction: image→text similarity = mean over patches of the best-matching
/// (valid) token, text→image = mean over valid tokens of the best-matching patch, both on normalized
/// tokens; symmetric InfoNCE on the two similarity matrices with the model's logit scale. Computed in
/// chunks of images (B·B·N·S entries otherwise). In a data-parallel job with global negatives every rank
/// gathers all patch and token features (B·(N+S)·E values per step) and scores all B × B pairs; with local
/// negatives it gathers the tokens (B·S·E values) and scores its b images against all B captions.
/// </summary>
public sealed class FilipObjective(long chunkElements = 1L << 24) : IContrastiveObjective
{
    public string Name => "filip";

    /// <summary>How a data-parallel job splits the loss (<see cref="Model.Negatives"/>).</summary>
    public Negatives Negatives { get; init; } = Negatives.Local;

    public LossOutput Compute(ObjectiveInputs inputs)
    {
        var (o, ranks) = (inputs.Outputs, inputs.Ranks);
        Objectives.CheckTokenOutputs(o);
        if (ranks.Size > 1 && Negatives == Negatives.Local) return Local(ranks, o);
        using var scope = torch.NewDisposeScope();
        // Late interaction scores every image against every caption of the global batch: gather all tokens.
        var (i2t, t2i) = Similarities(ranks.AllGather(o.PatchTokens), ranks.AllGather(o.TokenFeatures),
            ranks.AllGather(o.TokenMask),
                                      chunkElements);
        var scale = ranks.Replicated(o.LogitScale);
        var labels = torch.arange(i2t.shape[0], device: i2t.device);
        var loss = ranks.ShareOfReplicated(
            (nn.functional.cross_entropy(scale * i2t, labels)
             + nn.functional.cross_entropy(scale * t2i.t(), labels)) / 2);
        return Objectives.Escape(loss, new Dictionary<string, Tensor> { ["filip"] = loss });
    }

    /// <summary>
    /// This rank's share with local negatives: late interaction of its b images with all B captions (tokens gathered
    /// with gradient), [b, B] for both directions. Image→text rows are whole here; caption j's text→image
    /// cross-entropy needs column j's log-sum-exp over all B images, which <see cref="LocalNegatives.ColumnLogSumExp"/>
    /// combines over ranks (one gather of B values); j's owner adds it, with the positive S[j, j] it holds. Summed
    /// terms over 2B: the shares add up to the one-process loss (the argument is <see cref="LocalNegatives"/>'s).
    /// </summary>
    private LossOutput Local(IFeatureGather ranks, ClipOutputs o)
    {
        using var scope = torch.NewDisposeScope();
        var rows = RankRows.Of(ranks, o.PatchTokens.shape[0]);
        var (i2t, t2i) = Similarities(o.PatchTokens, ranks.AllGatherWithGrad(o.TokenFeatures),
                                      ranks.AllGather(o.TokenMask), chunkElements);
        var targets = LocalNegatives.Targets(rows, i2t.device);
        var imageToText = nn.functional.cross_entropy(o.LogitScale * i2t, targets, reduction: nn.Reduction.Sum);
        var textLogits = o.LogitScale * t2i;
        var positives = textLogits.gather(1, targets.unsqueeze(1)).squeeze(1);
        var textToImage = (LocalNegatives.ColumnLogSumExp(ranks, textLogits, rows) - positives).sum();
        var loss = (imageToText + textToImage) / (2.0 * rows.Total);
        return Objectives.Escape(loss, new Dictionary<string, Tensor> { ["filip"] = loss });
    }

    /// <summary>Both token-wise similarity matrices [Bi, Bj] (row = image) from patches [Bi, N, E], tokens [Bj, S, E],
    /// valid [Bj, S].</summary>
    public static (Tensor ImageToText, Tensor TextToImage) Similarities(Tensor patches, Tensor tokens, Tensor valid,
        long chunkElements = 1L << 24)
    {
        using var scope = torch.NewDisposeScope();
        var v = nn.functional.normalize(patches, dim: -1);
        var t = nn.functional.normalize(tokens, dim: -1);
        var validF = valid.to(t.dtype);                                   // [Bj, S]
        var invalid = valid.logical_not().unsqueeze(0).unsqueeze(2);      // [1, Bj, 1, S]
        var rows = Math.Max(1L, chunkElements / Math.Max(1L, tokens.shape[0] * patches.shape[1] * tokens.shape[1]));
        var i2t = new List<Tensor>();
        var t2i = new List<Tensor>();
        for (long i0 = 0; i0 < v.shape[0]; i0 += rows)
        {
            // [c, Bj, N, S]
            var sim = torch.einsum("ind,jsd->ijns", v.narrow(0, i0, Math.Min(rows, v.shape[0] - i0)), t);
            i2t.Add(sim.masked_fill(invalid, double.NegativeInfinity).amax(-1).mean([-1]));
            t2i.Add((sim.amax(-2) * validF.unsqueeze(0)).sum(-1) / validF.sum(-1).unsqueeze(0));
        }
        return (torch.cat(i2t, 0).MoveToOuterDisposeScope(), torch.cat(t2i, 0).MoveToOuterDisposeScope());
    }
}
