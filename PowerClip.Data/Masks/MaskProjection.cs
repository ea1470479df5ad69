using System.Buffers;

namespace PowerClip.Data;

/// <summary>
/// The geometry of a resize + crop: output pixel (x, y) of the result shows the source point
/// (OffsetX + (x + ½)·ScaleX, OffsetY + (y + ½)·ScaleY), in source pixels (the image spans [0, W)×[0, H)).
/// This is how the resampler places pixel centres, so masks mapped with it land where the pixels do.
/// </summary>
public readonly record struct CropGeometry(double OffsetX, double OffsetY, double ScaleX, double ScaleY);

/// <summary>
/// Carries region masks from an image's frame to the model's patch grid through a <see cref="CropGeometry"/>:
/// each output pixel takes the mask value at its source point (nearest cell of the mask's raster, as if the mask
/// were resized and cropped with the image), and a patch belongs to a region when at least
/// <c>coverage</c> of its pixels do. A region that covers no patch (cropped away, or too small) is dropped.
/// </summary>
public static class MaskProjection
{
    /// <summary>
    /// The masks on the Size/Patch grid, in their order minus the dropped ones; null when none survives.
    /// <paramref name="width"/>×<paramref name="height"/> is the source image's pixel size.
    /// </summary>
    public static RegionMasks? ToPatchGrid(IImageRegions regions, int width, int height, CropGeometry g,
                                           int size, int patch, double coverage)
    {
        if (coverage is not (> 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(coverage), coverage, "mask coverage must lie in (0, 1]");
        if (size < 1 || patch < 1 || size % patch != 0)
            throw new ArgumentException($"patch size {patch} must divide the image size {size}");
        var grid = size / patch;
        var (rw, rh) = regions.RasterSize;
        var cols = SourceCells(g.OffsetX, g.ScaleX, size, width, rw);
        var rows = SourceCells(g.OffsetY, g.ScaleY, size, height, rh);
        var needed = coverage * patch * patch - 1e-9;
        var raster = ArrayPool<byte>.Shared.Rent(rw * rh);
        var counts = new int[grid * grid];
        var result = new List<int[]>(regions.Count);
        try
        {
            for (var m = 0; m < regions.Count; m++)
            {
                regions.Fill(m, raster.AsSpan(0, rw * rh));
                Array.Clear(counts);
                for (var y = 0; y < size; y++)
                {
                    var line = rows[y] * rw;
                    var band = y / patch * grid;
                    for (var x = 0; x < size; x++)
                        if (raster[line + cols[x]] != 0) counts[band + x / patch]++;
                }
                var patches = Enumerable.Range(0, counts.Length).Where(p => counts[p] >= needed).ToArray();
                if (patches.Length > 0) result.Add(patches);
            }
        }
        finally { ArrayPool<byte>.Shared.Return(raster); }
        return result.Count == 0 ? null : new RegionMasks(grid, result.ToArray());
    }

    /// <summary>For each output pixel along one axis, the raster cell its source point falls in.</summary>
    private static int[] SourceCells(double offset, double scale, int size, int imageExtent, int rasterExtent)
    {
        var cells = new int[size];
        for (var i = 0; i < size; i++)
        {
            var source = offset + (i + 0.5) * scale;
            cells[i] = Math.Clamp((int)Math.Floor(source / imageExtent * rasterExtent), 0, rasterExtent - 1);
        }
        return cells;
    }
}
