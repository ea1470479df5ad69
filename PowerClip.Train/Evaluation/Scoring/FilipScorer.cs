using TorchSharp;
using PowerClip.Train.Models;
using PowerClip.Train.Training;
using static TorchSharp.torch;

namespace PowerClip.Train.Evaluation;

/// <summary>
/// FILIP's token-wise late interaction (<see cref="PowerClip.Model.FilipObjective.Similarities"/>), the score a FILIP
/// model trains: image→text = mean over patches of the best-matching valid token, text→image = mean over valid
/// tokens of the best-matching patch, on normalised projected tokens. Image queries rank with the first, caption
/// queries with the second, as FILIP's two InfoNCE terms do; pairwise benchmarks that compare captions for one
/// image use image→text, Winoground's image score text→image.
/// </summary>
public sealed class FilipScorer(TrainedModel model, int batchSize = 64, long chunkElements = 1L << 24)
    : TokenScorer(model, batchSize, chunkElements)
{
    public const string ScoreName = "FILIP late interaction (token-wise max, both directions)";

    public override string Id => EvaluationScores.Filip;

    public override string Name => ScoreName;

    public override bool Directional => true;

    protected override Tensor ImageFeatures(Tensor patches) => nn.functional.normalize(patches, dim: -1);

    protected override (Tensor Features, Tensor Mask) CaptionFeatures(IReadOnlyList<string> captions)
    {
        var (feats, valid) = TokenFeatures(captions);
        return (nn.functional.normalize(feats, dim: -1), valid);
    }

    protected override (Tensor ImageToText, Tensor TextToImage) Scores(Tensor images, Tensor captions, Tensor mask) =>
        LateInteraction(images, captions, mask);

    /// <summary>Both similarities with broadcast leading dims: unit patches [..., N, E], unit tokens [..., S, E], valid
    /// [..., S].</summary>
    public static (Tensor ImageToText, Tensor TextToImage) LateInteraction(Tensor patches, Tensor tokens, Tensor valid)
    {
        var sim = torch.matmul(patches, tokens.transpose(-1, -2));                       // [..., N, S]
        var validF = valid.to(sim.dtype);
        var i2t = sim.masked_fill(valid.logical_not().unsqueeze(-2), double.NegativeInfinity).amax(-1).mean([-1]);
        var t2i = (sim.amax(-2) * validF).sum(-1) / validF.sum(-1);
        return (i2t, t2i);
    }
}
