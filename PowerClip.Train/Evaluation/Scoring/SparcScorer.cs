using TorchSharp;
using PowerClip.Train.Models;
using PowerClip.Train.Training;
using static TorchSharp.torch;

namespace PowerClip.Train.Evaluation;

/// <summary>
/// SPARC's fine-grained score for a pair [ours: SPARC (Bica et al., 2024) evaluates with global embeddings and
/// defines no pair score; this is the quantity its fine-grained loss raises for a matching pair]. As in
/// <see cref="PowerClip.Model.SparcObjective.FineGrained"/>: token–patch cosines min-max normalised over patches,
/// sparsified at 1/N, renormalised into alignment weights; each valid token's language-grouped vision embedding
/// c_k = normalize(Σ_n a_kn v_n) is compared with the token by cosine; the score is the mean over valid tokens.
/// Symmetric: one value serves both query directions.
/// </summary>
public sealed class SparcScorer(TrainedModel model, int batchSize = 64, long chunkElements = 1L << 24)
    : TokenScorer(model, batchSize, chunkElements)
{
    public const string ScoreName = "SPARC fine-grained (mean token cosine with its language-grouped patches)";

    public override string Id => EvaluationScores.Sparc;

    public override string Name => ScoreName;

    protected override Tensor ImageFeatures(Tensor patches) => patches;

    protected override (Tensor Features, Tensor Mask) CaptionFeatures(IReadOnlyList<string> captions)
    {
        var (feats, valid) = TokenFeatures(captions);
        return (nn.functional.normalize(feats, dim: -1), valid);
    }

    protected override (Tensor ImageToText, Tensor TextToImage) Scores(Tensor images, Tensor captions, Tensor mask)
    {
        var s = FineGrained(images, captions, mask);
        return (s, s);
    }

    /// <summary>The score with broadcast leading dims: raw patches [..., N, E], unit tokens [..., S, E], valid [...,
    /// S].</summary>
    public static Tensor FineGrained(Tensor patches, Tensor tokens, Tensor valid)
    {
        var n = patches.shape[^2];
        var sim = torch.matmul(tokens, nn.functional.normalize(patches, dim: -1).transpose(-1, -2));   // [..., S, N]
        var lo = sim.amin([-1], keepdim: true);
        var hi = sim.amax([-1], keepdim: true);
        var scaled = (sim - lo) / (hi - lo).clamp_min(1e-12);
        var sparse = scaled.masked_fill(scaled.lt(1.0 / n), 0.0);
        var weights = sparse / sparse.sum(-1, keepdim: true).clamp_min(1e-12);
        var grouped = nn.functional.normalize(torch.matmul(weights, patches), dim: -1);   // c_k [..., S, E]
        var validF = valid.to(sim.dtype);
        return ((grouped * tokens).sum(-1) * validF).sum(-1) / validF.sum(-1);
    }
}
