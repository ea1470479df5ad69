using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// One image's region masks as CSR patch-index lists (how segmenter masks are stored per image):
/// mask m covers the patches PatchIndices[Offsets[m] .. Offsets[m+1]) of the row-major patch grid.
/// </summary>
public sealed record CsrMasks(int[] Offsets, int[] PatchIndices)
{
    public int Count => Math.Max(0, Offsets.Length - 1);

    public ReadOnlySpan<int> Mask(int m) => PatchIndices.AsSpan(Offsets[m], Offsets[m + 1] - Offsets[m]);

    /// <summary>Builds the CSR form from one patch-index list per mask.</summary>
    public static CsrMasks FromLists(IEnumerable<IReadOnlyCollection<int>> masks)
    {
        var offsets = new List<int> { 0 };
        var indices = new List<int>();
        foreach (var m in masks) { indices.AddRange(m); offsets.Add(indices.Count); }
        return new CsrMasks(offsets.ToArray(), indices.ToArray());
    }

    /// <summary>Throws an ArgumentException naming the sample and mask when offsets are malformed, a mask is empty, or
    /// a patch is off the grid.</summary>
    public void Validate(int sample, int gridSize)
    {
        var n = gridSize * gridSize;
        if (Offsets.Length == 0 || Offsets[0] != 0 || Offsets[^1] != PatchIndices.Length)
            throw new ArgumentException($"region masks of sample {sample}: CSR offsets must start at 0 and end at " +
                $"{PatchIndices.Length}");
        for (var m = 0; m < Count; m++)
        {
            if (Offsets[m + 1] <= Offsets[m])
                throw new ArgumentException($"region mask {m} of sample {sample} is empty (or its CSR offsets " +
                    "decrease)");
            foreach (var p in Mask(m))
                if (p < 0 || p >= n)
                    throw new ArgumentException($"region mask {m} of sample {sample}: patch index {p} is off the " +
                        $"{gridSize}×{gridSize} patch grid");
        }
    }
}

/// <summary>Dense region masks: a float tensor [B, M, N] on the patch grid (0/1 or fractional weights).</summary>
public static class RegionMasks
{
    /// <summary>Stacks per-image CSR masks (each with exactly M masks) into a dense [B, M, N] 0/1 tensor.</summary>
    public static Tensor Dense(IReadOnlyList<CsrMasks> perImage, int gridSize, ScalarType dtype = ScalarType.Float32,
        Device? device = null)
    {
        if (perImage.Count == 0) throw new ArgumentException("region masks: empty batch");
        var m = perImage[0].Count;
        var n = gridSize * gridSize;
        var data = new float[perImage.Count * m * n];
        for (var b = 0; b < perImage.Count; b++)
        {
            perImage[b].Validate(b, gridSize);
            if (perImage[b].Count != m)
                throw new ArgumentException($"region masks of sample {b}: {perImage[b].Count} masks, expected {m} " +
                    "like sample 0 (use a sampler to draw M per image)");
            for (var r = 0; r < m; r++)
                foreach (var p in perImage[b].Mask(r)) data[(b * m + r) * n + p] = 1f;
        }
        return torch.tensor(data, [perImage.Count, m, n], dtype: dtype, device: device);
    }

    /// <summary>Checks a dense mask batch: shape [B, M, N], finite, non-negative, no all-zero mask; names the sample
    /// and mask.</summary>
    public static void Validate(Tensor masks, int batch, int patchCount)
    {
        InputChecks.Shape(masks, "region masks", batch, -1, patchCount);
        InputChecks.Finite(masks, "region masks");
        using var scope = torch.NewDisposeScope();
        var negative = masks.lt(0).flatten(1).any(1);
        if (negative.any().item<bool>())
            throw new ArgumentException($"region masks have negative weights in sample " +
                $"{negative.nonzero()[0, 0].item<long>()}");
        var empty = masks.sum(-1).le(0);
        if (empty.any().item<bool>())
        {
            var at = empty.nonzero()[0];
            throw new ArgumentException($"region mask {at[1].item<long>()} of sample {at[0].item<long>()} is empty " +
                "(covers no patch)");
        }
    }
}
