using System.Diagnostics;
using PowerClip.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Performance;

/// <summary>
/// Where the PowerCLIP loss spends its time: its stages run one by one on fixed encoder outputs
/// (no autograd), the minimum ms over repeats — the profile behind the loss column of `powerclip bench`.
/// </summary>
public static class LossProfile
{
    public static List<(string Stage, double Ms)> Run(ClipConfig cfg, SyntheticBatch batch, int repeats, Device device)
    {
        torch.manual_seed(1);
        using var model = new ClipModel(cfg);
        model.to(device);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var o = model.Forward(batch.Images, batch.Tokens);
        var lc = new PowerClipLossConfig();
        var loss = new PowerClipLoss(lc);
        var stages = new List<(string, Func<object>)>();
        Tensor phi = RegionPooling.Embed(o.PatchTokens, batch.Masks),
            psi = batch.Phrases.LeafEmbeddings(o.TokenFeatures);
        var nodes = PowerClipScores.NodeEmbeddings(psi, batch.Phrases.Membership);
        var s1 = PowerClipScores.S1(phi, nodes);
        var mask = batch.Phrases.NodeMask;
        var sbar = PowerClipScores.Combine(s1, mask, lc);
        stages.Add(("input checks (finite, masks)", () => {
            InputChecks.Finite(o.PatchTokens, "p"); InputChecks.Finite(o.TokenFeatures,
            "t"); RegionMasks.Validate(batch.Masks, (int)o.PatchTokens.shape[0],
            (int)o.PatchTokens.shape[1]); return 0; }));
        stages.Add(("CLIP InfoNCE", () => ClipLoss.Compute(o.ImageEmbeds, o.TextEmbeds, o.LogitScale)));
        stages.Add(("region pooling φ", () => RegionPooling.Embed(o.PatchTokens, batch.Masks)));
        stages.Add(("leaf embeddings ψ", () => batch.Phrases.LeafEmbeddings(o.TokenFeatures)));
        stages.Add(("node embeddings p", () => PowerClipScores.NodeEmbeddings(psi, batch.Phrases.Membership)));
        stages.Add(("S1 = φ·p", () => PowerClipScores.S1(phi, nodes)));
        stages.Add(("NLA-T1 alone (unshared)", () => PowerClipScores.NlaT1(s1, mask, lc.Tau)));
        stages.Add(("NLA-T2 alone (unshared)", () => PowerClipScores.NlaT2(s1, mask, lc)));
        stages.Add(("S̄ = Combine(S1) (NlaBoth)", () => PowerClipScores.Combine(s1, mask, lc)));
        stages.Add(("S̄ via ChunkedScores", () => ChunkedScores.Compute(phi, nodes, mask, lc)));
        stages.Add(("triplet ×2", () => TripletLoss.Hardest(sbar, lc.Delta) + TripletLoss.Hardest(sbar.t(), lc.Delta)));
        stages.Add(("whole loss (Compute)", () => loss.Compute(
            new ObjectiveInputs(o, batch.Masks, batch.Phrases)).Total));
        var result = new List<(string, double)>();
        foreach (var (name, f) in stages)
        {
            var times = new List<double>();
            for (var r = 0; r <= repeats; r++)
            {
                using var inner = torch.NewDisposeScope();
                var sw = Stopwatch.StartNew();
                f();
                if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);
                if (r > 0) times.Add(sw.Elapsed.TotalMilliseconds);
            }
            result.Add((name, times.Min()));   // the minimum: on a shared machine, the least disturbed run
        }
        return result;
    }
}
