using PowerClip.Model;
using PowerClip.Data;
using PowerClip.Train.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Evaluation;

/// <summary>One phrase node B of the caption's tree and its weight on each region (patch, row-major).</summary>
/// <param name="Similarity">S1[m, B] = ⟨φ_m, p_B⟩ per patch m</param>
/// <param name="Weights">σ(S1[m, B]/τ) per patch m: how much T2R selects region m for B</param>
public sealed record PhraseGrounding(int Panel, string Text, int[] Leaves, float[] Similarity, float[] Weights)
{
    /// <summary>Regions in the subset T2R's max picks for this phrase (S1 > 0), i.e. weight above ½.</summary>
    public int Selected => Weights.Count(w => w > 0.5f);
}

/// <summary>The text-to-region grounding of one caption on one image.</summary>
public sealed record GroundingResult(string Caption, string Tree, int GridSize, double Tau,
    IReadOnlyList<PhraseGrounding> Phrases);

/// <summary>
/// PowerCLIP's text-to-image grounding (T2R): the regions are the image's patches (M = N, φ_m = the
/// normalised projected patch token), the nodes are the caption tree's phrases plus the root (p_B = Σ_{l∈B} ψ_l).
/// T2R's NLA-T1 term for node B is Σ_m sp_τ(S1[m,B]), a smooth version of max_A Σ_{m∈A} S1[m,B] = Σ_m relu(S1[m,B]);
/// the weight of region m is its derivative ∂/∂S1 τ·softplus(S1/τ) = σ(S1[m,B]/τ): 1 for a region in the best
/// subset, 0 for one outside, soft in between. With the trained τ (paper: 1e-3) the maps are nearly binary —
/// exactly the subset T2R selects; a larger τ (--tau) shows the margins.
/// </summary>
public static class Grounding
{
    public static GroundingResult Compute(TrainedModel model, RgbImage image, string caption, double? tau = null)
    {
        var t = tau ?? model.Config.LossSettings.PowerClip.Tau;
        if (!(t > 0) || !double.IsFinite(t)) throw new ArgumentException($"τ must be > 0, got {t}");
        if (string.IsNullOrWhiteSpace(caption)) throw new ArgumentException("the caption is empty");
        var vision = model.Model.Config.Vision;
        var inputs = model.Inputs;
        var prepared = inputs.Prepare(caption);
        var loss = prepared.Loss;
        if (loss.LeafSpans.Length == 0) throw new ArgumentException(
            $"the caption '{caption}' has no word the text encoder sees");
        var leafWords = LossLeafWords(prepared);
        var n = vision.GridSize * vision.GridSize;

        float[] s1;
        using (torch.no_grad())
        using (var scope = torch.NewDisposeScope())
        {
            var o = model.Model.Forward(inputs.ImageBatch([image], model.Device),
                inputs.TokenBatch([prepared.Tokens], model.Device));
            // one region per patch
            var phi = RegionPooling.Embed(o.PatchTokens, torch.eye(n, device: model.Device).unsqueeze(0));
            using var phrases = inputs.PhraseBatch([prepared], model.Device);
            var nodes = PowerClipScores.NodeEmbeddings(phrases.LeafEmbeddings(o.TokenFeatures), phrases.Membership);
            // [T, M]
            s1 = PowerClipScores.S1(phi, nodes)[0, 0].t().contiguous().to(torch.float32).cpu().data<float>().ToArray();
        }
        var result = new List<PhraseGrounding>();
        for (var b = 0; b < loss.Nodes.Length; b++)
        {
            var sim = s1.AsSpan(b * n, n).ToArray();
            var weights = sim.Select(s => (float)(1 / (1 + Math.Exp(-s / t)))).ToArray();
            var text = string.Join(" ", loss.Nodes[b].Select(l => leafWords[l]));
            result.Add(new PhraseGrounding(b + 1, text, loss.Nodes[b], sim, weights));
        }
        return new GroundingResult(prepared.Caption, prepared.Tree.ToBracketString(), vision.GridSize, t, result);
    }

    /// <summary>The grounding and its PNG (the image, then one heat-map panel per phrase) — the entry point for
    /// reports.</summary>
    public static (byte[] Png, GroundingResult Result) Render(TrainedModel model, RgbImage image, string caption,
        double? tau = null, int panelSize = GroundingImage.DefaultPanel)
    {
        var result = Compute(model, image, caption, tau);
        return (GroundingImage.Render(image, result, panelSize), result);
    }

    /// <summary>The words of the loss tree's leaves: TreeAlignment.ForLoss keeps words with tokens that are not
    /// punctuation.</summary>
    private static string[] LossLeafWords(PreparedCaption prepared)
    {
        var words = new List<string>();
        for (var i = 0; i < prepared.Tree.LeafCount; i++)
        {
            var (s, e) = prepared.Tokens.WordSpans[i];
            if (e > s && !CaptionText.IsPunctuation(prepared.Tree.Words[i])) words.Add(prepared.Tree.Words[i]);
        }
        if (words.Count != prepared.Loss.LeafSpans.Length)
            throw new InvalidOperationException($"grounding: {words.Count} words for " +
                $"{prepared.Loss.LeafSpans.Length} loss leaves");
        return words.ToArray();
    }
}
