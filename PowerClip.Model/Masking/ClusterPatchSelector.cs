using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// Cluster masking (E-CLIP) and patch generation-to-selection (CLIP-PGS). Generation: draw a few anchor
/// (candidate) patches — uniformly for E-CLIP, away from Sobel edges for CLIP-PGS — and mask every patch
/// whose similarity to an anchor exceeds the threshold. Selection: every image keeps the same number K of
/// tokens, K = min(⌊N·(1 − min mask ratio)⌋, the most unmasked patches of any image in the batch); an image
/// with more unmasked patches than K drops a random few more (the minimum mask ratio), one with fewer fills
/// up with masked patches that stay hidden (<see cref="PatchSelection.Visible"/>). Specification:
/// PowerClip.Spec.PatchMasking.clusterSelect.
/// </summary>
public sealed class ClusterPatchSelector : IPatchSelector
{
    private readonly ClusterMaskingOptions options;

    internal ClusterPatchSelector(ClusterMaskingOptions options) => this.options = options;

    public PatchSelection Select(PatchSelectionInputs inputs)
    {
        var pixels = PatchSimilarity.Patchify(inputs.Images, inputs.PatchSize);
        var similarity = PatchSimilarity.Pixel(pixels);
        if (options.UseEmbeddingSimilarity)
        {
            var embedding = PatchSimilarity.Cosine(inputs.PatchEmbeddings).to(similarity.dtype);
            similarity = (1 - inputs.Progress) * similarity + inputs.Progress * embedding;
        }
        if (options.UseSinkhorn)
            similarity += PatchSimilarity.Sinkhorn(similarity, options.SinkhornIterations, options.SinkhornEpsilon);
        long b = pixels.shape[0], n = pixels.shape[1];
        var priority = torch.rand(b, n, generator: inputs.Generator, dtype: similarity.dtype,
            device: similarity.device);
        if (options.EdgeWeight != 0) priority = priority - options.EdgeWeight * PatchSimilarity.SobelEdges(pixels,
            inputs.GridSize);
        var cutoff = torch.rand(b, n, generator: inputs.Generator, dtype: similarity.dtype, device: similarity.device);
        var anchors = AnchorCount(n, options.AnchorRatio);
        var threshold = options.TargetMaskRatio is { } target
            ? SearchThreshold(similarity, priority, anchors, target, options)
            : options.SimilarityThreshold;
        return SelectFrom(similarity, priority, cutoff, anchors, threshold, options.MinMaskRatio, options.MaskAnchors);
    }

    /// <summary>N − ⌊N·(1 − ratio)⌋ anchors (the released code's count), at least 1.</summary>
    public static int AnchorCount(long patches, double ratio) =>
        (int)Math.Max(1, patches - (long)Math.Floor(patches * (1 - ratio) + 1e-9));

    /// <summary>
    /// The deterministic core: anchors are the <paramref name="anchors"/> highest <paramref name="priority"/> entries;
    /// <paramref name="cutoff"/> (uniform in [0, 1)) orders the unmasked patches for the minimum-mask-ratio cut and the
    /// masked ones for filling. An image whose clusters cover every patch keeps its first patch by cutoff order
    /// [reconstructed: so no image is left without a visible token].
    /// </summary>
    public static PatchSelection SelectFrom(Tensor similarity, Tensor priority, Tensor cutoff, int anchors,
        double threshold,
                                            double minMaskRatio, bool maskAnchors)
    {
        var masked = ClusterMask(similarity, priority, anchors, threshold, maskAnchors);
        var n = masked.shape[1];
        var none = masked.all(1, keepdim: true);
        var first = torch.zeros_like(masked).scatter_(1, cutoff.argmin(1, keepdim: true), torch.ones_like(masked));
        masked = masked & (none & first).logical_not();
        var keep = KeepCount(n, minMaskRatio, (n - masked.sum(1)).max().item<long>());
        var order = (cutoff + 2 * masked.to(cutoff.dtype)).argsort(1)[.., ..(int)keep];
        var (sorted, position) = order.sort(1);
        var visible = masked.gather(1, sorted).logical_not();
        return new PatchSelection(sorted, visible.all().item<bool>() ? null : visible);
    }

    /// <summary>[B, N] bool: patches whose similarity to one of the anchors exceeds the threshold (anchors too, with
    /// <paramref name="maskAnchors"/>).</summary>
    public static Tensor ClusterMask(Tensor similarity, Tensor priority, int anchors, double threshold,
        bool maskAnchors)
    {
        var n = similarity.shape[1];
        var anchorIndex = priority.topk(anchors, 1).indexes;                                        // [B, A]
        var rows = similarity.gather(1, anchorIndex.unsqueeze(-1).expand(-1, -1, n));               // [B, A, N]
        var masked = rows.gt(threshold).any(1);
        return maskAnchors ? masked.scatter(1, anchorIndex, torch.ones_like(anchorIndex, dtype: ScalarType.Bool))
            : masked;
    }

    /// <summary>K = min(⌊N·(1 − min mask ratio)⌋, most unmasked), at least 1.</summary>
    public static long KeepCount(long patches, double minMaskRatio, long mostUnmasked) =>
        Math.Max(1, Math.Min((long)Math.Floor(patches * (1 - minMaskRatio) + 1e-9), mostUnmasked));

    /// <summary>
    /// [ours] The paper's threshold search, run on every batch: bisection (30 rounds over [−1, 2]) for the
    /// threshold whose mean final mask ratio is closest to <paramref name="target"/> (the ratio falls as the threshold
    /// rises).
    /// </summary>
    private static double SearchThreshold(Tensor similarity, Tensor priority, int anchors, double target,
        ClusterMaskingOptions o)
    {
        double lo = -1, hi = 2;
        var n = similarity.shape[1];
        for (var k = 0; k < 30; k++)
        {
            var mid = (lo + hi) / 2;
            var unmasked = n - ClusterMask(similarity, priority, anchors, mid, o.MaskAnchors).sum(1);
            var keep = KeepCount(n, o.MinMaskRatio, unmasked.max().item<long>());
            var ratio = 1 - unmasked.clamp_max(keep).to(ScalarType.Float64).mean().item<double>() / n;
            if (ratio > target) lo = mid; else hi = mid;
        }
        return (lo + hi) / 2;
    }
}
