using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// FILIP's token-wise late interaction: image→text similarity = mean over patches of the best-matching
/// (valid) token, text→image = mean over valid tokens of the best-matching patch, both on normalized
/// tokens; symmetric InfoNCE on the two similarity matrices with the model's logit scale. Computed in
/// chunks of images (B·B·N·S entries otherwise). In a data-parallel job every rank gathers all
/// patch and token features (B·(N+S)·E values per step).
/// </summary>
public sealed class FilipObjective(long chunkElements = 1L << 24) : IContrastiveObjective
{
    public string Name => "filip";

    public LossOutput Compute(ObjectiveInputs inputs)
    {
        var (o, ranks) = (inputs.Outputs, inputs.Ranks);
        Objectives.CheckTokenOutputs(o);
        using var scope = torch.NewDisposeScope();
        // Late interaction scores every image against every caption of the global batch: gather all tokens.
        var (i2t, t2i) = Similarities(ranks.AllGather(o.PatchTokens), ranks.AllGather(o.TokenFeatures), ranks.AllGather(o.TokenMask),
                                      chunkElements);
        var scale = ranks.Replicated(o.LogitScale);
        var labels = torch.arange(i2t.shape[0], device: i2t.device);
        var loss = (nn.functional.cross_entropy(scale * i2t, labels) + nn.functional.cross_entropy(scale * t2i.t(), labels)) / 2;
        return Objectives.Escape(loss, new Dictionary<string, Tensor> { ["filip"] = loss });
    }

    /// <summary>Both token-wise similarity matrices [Bi, Bj] (row = image) from patches [Bi, N, E], tokens [Bj, S, E], valid [Bj, S].</summary>
    public static (Tensor ImageToText, Tensor TextToImage) Similarities(Tensor patches, Tensor tokens, Tensor valid, long chunkElements = 1L << 24)
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
            var sim = torch.einsum("ind,jsd->ijns", v.narrow(0, i0, Math.Min(rows, v.shape[0] - i0)), t);   // [c, Bj, N, S]
            i2t.Add(sim.masked_fill(invalid, double.NegativeInfinity).amax(-1).mean([-1]));
            t2i.Add((sim.amax(-2) * validF.unsqueeze(0)).sum(-1) / validF.sum(-1).unsqueeze(0));
        }
        return (torch.cat(i2t, 0).MoveToOuterDisposeScope(), torch.cat(t2i, 0).MoveToOuterDisposeScope());
    }
}
