using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// The patch-to-patch measures of the cluster-masking baselines (E-CLIP, CLIP-PGS), on the patch grid:
/// pixel similarity, embedding similarity, Sinkhorn normalisation and a Sobel edge map. Specification:
/// PowerClip.Spec.PatchMasking (the same formulas over float arrays).
/// </summary>
public static class PatchSimilarity
{
    /// <summary>Rows whose centred norm is below this times √D count as flat: their similarity is 0 (float rounding is
    /// not a direction).</summary>
    public const double FlatTolerance = 1e-6;

    /// <summary>Images [B, C, H, W] → pixel patches [B, N, C·p·p], patch n = row·grid + column (conv1's
    /// order).</summary>
    public static Tensor Patchify(Tensor images, int patchSize)
    {
        long b = images.shape[0], c = images.shape[1], g = images.shape[2] / patchSize;
        return images.reshape(b, c, g, patchSize, g, patchSize).permute(0, 2, 4, 1, 3, 5).reshape(b, g * g,
            c * patchSize * patchSize);
    }

    /// <summary>
    /// Pixel similarity [B, N, N]: cosine of mean-centred pixel patches (Pearson correlation over a patch's
    /// values), E-CLIP's "pixel norm" then cosine (the per-patch scale of its standardisation cancels in the cosine).
    /// A flat patch (all values equal) has similarity 0 to every patch, itself included.
    /// </summary>
    public static Tensor Pixel(Tensor pixelPatches)
    {
        using var scope = torch.NewDisposeScope();
        var centred = pixelPatches - pixelPatches.mean([-1], keepdim: true);
        var unit = nn.functional.normalize(centred, dim: -1, eps: FlatTolerance * Math.Sqrt(pixelPatches.shape[^1]));
        return torch.matmul(unit, unit.transpose(1, 2)).MoveToOuterDisposeScope();
    }

    /// <summary>Cosine similarity of embeddings [B, N, W] → [B, N, N].</summary>
    public static Tensor Cosine(Tensor embeddings)
    {
        using var scope = torch.NewDisposeScope();
        var unit = nn.functional.normalize(embeddings, dim: -1);
        return torch.matmul(unit, unit.transpose(1, 2)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Sinkhorn–Knopp on the non-negative part of <paramref name="similarity"/> [B, N, N]: columns, then rows,
    /// divided by their sums (+ ε), until every row and column sum is within ε of 1 or after
    /// <paramref name="iterations"/> rounds. [reconstructed] Negative cosines are set to 0 first: the released
    /// code normalises the raw matrix, whose negative entries make the sums meaningless.
    /// </summary>
    public static Tensor Sinkhorn(Tensor similarity, int iterations, double epsilon)
    {
        using var scope = torch.NewDisposeScope();
        var m = similarity.clamp_min(0);
        for (var k = 0; k < iterations; k++)
        {
            var columns = m.sum(-2, keepdim: true);
            var rows = m.sum(-1, keepdim: true);
            if (Converged(columns, epsilon) && Converged(rows, epsilon)) break;
            m = m / (columns + epsilon);
            m = m / (m.sum(-1, keepdim: true) + epsilon);
        }
        return m.MoveToOuterDisposeScope();
    }

    /// <summary>All sums within ε of 1, or 0 (an all-zero row or column cannot be normalised and is left
    /// alone).</summary>
    private static bool Converged(Tensor sums, double epsilon) =>
        ((sums - 1).abs().le(epsilon) | sums.le(epsilon)).all().item<bool>();

    /// <summary>
    /// Sobel edge magnitude on the patch grid [B, N], min–max normalised per image to [0, 1] (÷ (max − min + 1e-6),
    /// as the released code). Grey value of a patch: the mean of its pixels over all channels. [reconstructed]
    /// The released code standardises each patch before taking that mean (which makes it ≈ 0 everywhere) and pads
    /// with zeros; we take the mean of the model-input pixels and replicate the border, so the frame is no edge.
    /// </summary>
    public static Tensor SobelEdges(Tensor pixelPatches, int gridSize)
    {
        using var scope = torch.NewDisposeScope();
        long b = pixelPatches.shape[0];
        var grey = pixelPatches.mean([-1]).view(b, 1, gridSize, gridSize);
        var padded = nn.functional.pad(grey, [1, 1, 1, 1], PaddingModes.Replicate);
        var kx = torch.tensor(new double[] { -1, 0, 1, -2, 0, 2, -1, 0, 1 }, dtype: grey.dtype,
            device: grey.device).view(1, 1, 3, 3);
        var ky = kx.transpose(2, 3);
        var gx = nn.functional.conv2d(padded, kx);
        var gy = nn.functional.conv2d(padded, ky);
        var magnitude = (gx * gx + gy * gy).sqrt().view(b, gridSize * gridSize);
        var lo = magnitude.amin([1], keepdim: true);
        var hi = magnitude.amax([1], keepdim: true);
        return ((magnitude - lo) / (hi - lo + 1e-6)).MoveToOuterDisposeScope();
    }
}
