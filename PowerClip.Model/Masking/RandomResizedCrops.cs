using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// A-CLIP's views: random resized crops of a batch, drawn as affine maps so that the image and the EMA
/// attention map are cropped by one transform (A-CLIP maps the map into each crop the same way: resize,
/// crop, resize). Area fraction s ~ U[min, max] and aspect r = exp(U[log min, log max]) as torchvision's
/// RandomResizedCrop; width √(s·r) and height √(s/r) (in image sides) are clipped to 1 [reconstructed:
/// instead of torchvision's ten rejection tries], the centre uniform over the positions that fit.
/// </summary>
public static class RandomResizedCrops
{
    /// <summary>θ [B, 2, 3] for affine_grid (align_corners = false): output (x, y) ∈ [−1, 1]² samples input (w·x + tx,
    /// h·y + ty).</summary>
    public static Tensor Draw(long batch, double scaleMin, double scaleMax, double ratioMin, double ratioMax,
        Generator? generator, Device device)
    {
        using var scope = torch.NewDisposeScope();
        var u = torch.rand(batch, 4, generator: generator, dtype: ScalarType.Float64, device: device);
        var scale = scaleMin + (scaleMax - scaleMin) * u[.., 0];
        var ratio = (Math.Log(ratioMin) + (Math.Log(ratioMax) - Math.Log(ratioMin)) * u[.., 1]).exp();
        var w = (scale * ratio).sqrt().clamp_max(1);
        var h = (scale / ratio).sqrt().clamp_max(1);
        var tx = (1 - w) * (2 * u[.., 2] - 1);
        var ty = (1 - h) * (2 * u[.., 3] - 1);
        var zero = torch.zeros_like(w);
        return torch.stack([torch.stack([w, zero, tx], 1), torch.stack([zero, h, ty], 1)], 1).MoveToOuterDisposeScope();
    }

    /// <summary>Bilinear samples of <paramref name="input"/> [B, C, H, W] through θ into [B, C, size, size].</summary>
    public static Tensor Apply(Tensor input, Tensor theta, long size)
    {
        using var scope = torch.NewDisposeScope();
        var grid = nn.functional.affine_grid(theta.to(input.dtype), [input.shape[0], input.shape[1], size, size],
            align_corners: false);
        return nn.functional.grid_sample(input, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border,
            align_corners: false)
            .MoveToOuterDisposeScope();
    }
}
