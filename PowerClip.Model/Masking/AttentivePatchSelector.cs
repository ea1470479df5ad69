using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// A-CLIP's attentive masking: keep the blocks of patches the EMA encoder attends to most. Scores [B, g, g]
/// (one per patch) are averaged over blockSize × blockSize blocks (the released code's bilinear 14 → 7
/// downsampling is exactly this 2 × 2 mean), the ⌈keep·blocks⌉ highest-scoring blocks are kept (the code's
/// ⌊0.5·49⌋ + 1 = 25 of 49), and their patches go in index order. Every kept patch is visible.
/// Specification: PowerClip.Spec.PatchMasking.attentiveBlocks.
/// </summary>
public sealed class AttentivePatchSelector : IPatchSelector
{
    private readonly Tensor _scores;
    private readonly double _keepRatio;
    private readonly int _blockSize;

    /// <param name="scores">[B, g, g] attention each patch receives</param>
    public AttentivePatchSelector(Tensor scores, double keepRatio, int blockSize)
    {
        if (scores.dim() != 3 || scores.shape[1] != scores.shape[2])
            throw new ArgumentException($"attention scores must be [B, g, g], got [{string.Join(", ", scores.shape)}]");
        if (blockSize < 1 || scores.shape[1] % blockSize != 0)
            throw new ArgumentException(
                $"A-CLIP block size {blockSize} must divide the patch grid ({scores.shape[1]} patches per side)");
        _scores = scores;
        _keepRatio = keepRatio > 0 && keepRatio <= 1 ? keepRatio
            : throw new ArgumentOutOfRangeException(nameof(keepRatio),
            $"A-CLIP keep ratio must be in (0, 1], got {keepRatio}");
        _blockSize = blockSize;
    }

    public PatchSelection Select(PatchSelectionInputs inputs)
    {
        if (_scores.shape[1] != inputs.GridSize || _scores.shape[0] != inputs.Images.shape[0])
        {
            var (b, g) = (inputs.Images.shape[0], inputs.GridSize);
            var shape = string.Join(", ", _scores.shape);
            throw new ArgumentException($"attention scores [{shape}] do not fit {b} images of {g}×{g} patches");
        }
        return new PatchSelection(Keep(_scores, _keepRatio, _blockSize));
    }

    /// <summary>Indices [B, K] of the kept patches, ascending; K = ⌈keep·blocks⌉·blockSize².</summary>
    public static Tensor Keep(Tensor scores, double keepRatio, int blockSize)
    {
        long b = scores.shape[0], g = scores.shape[1], gb = g / blockSize;
        var blocks = nn.functional.avg_pool2d(scores.unsqueeze(1), blockSize).view(b, gb * gb);
        var kept = Math.Max(1L, (long)Math.Ceiling(keepRatio * gb * gb - 1e-9));
        var top = blocks.topk((int)kept, 1).indexes;                                              // [B, k]
        var (row, col) = (top.div(gb, RoundingMode.floor), top.remainder(gb));
        var offsets = torch.arange(blockSize, device: top.device);
        // patch (row·s + i, col·s + j) for i, j < s: index (row·s + i)·g + col·s + j
        var rows = (row * blockSize).unsqueeze(-1) + offsets;                                      // [B, k, s]
        var cols = (col * blockSize).unsqueeze(-1) + offsets;
        var patches = (rows.unsqueeze(-1) * g + cols.unsqueeze(-2)).view(b, -1);
        return patches.sort(1).Values;
    }
}
