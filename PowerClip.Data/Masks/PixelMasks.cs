using System.Text.Json.Nodes;

namespace PowerClip.Data;

/// <summary>
/// Region masks in an image's own frame, before any preprocessing: each mask is a 0/1 raster laid over the whole
/// image (its cells may be coarser than the image's pixels: a patch grid, or masks computed on a resized copy).
/// <see cref="ImageTransform"/> maps them through the same resize and crop as the pixels.
/// </summary>
public interface IImageRegions
{
    int Count { get; }

    /// <summary>Raster size (columns, rows); the raster spans the whole image, whatever its pixel size.</summary>
    (int Width, int Height) RasterSize { get; }

    /// <summary>Writes mask <paramref name="m"/> into a row-major raster of RasterSize (1 inside, 0 outside).</summary>
    void Fill(int m, Span<byte> raster);
}

/// <summary>One mask as a COCO RLE at image resolution: <see cref="CocoRle"/> run lengths of an H×W mask.</summary>
public sealed record RleMask(int Height, int Width, uint[] Counts)
{
    public long Area => CocoRle.Area(Counts);

    /// <summary>
    /// A COCO RLE object, {"size": [h, w], "counts": "…"} (compressed, pycocotools' string) or "counts": [runs]
    /// (uncompressed); checked to cover exactly h×w pixels. Other fields of the object are ignored.
    /// </summary>
    public static RleMask Parse(JsonNode? node)
    {
        if (node is not JsonObject o)
            throw new FormatException("a mask must be a COCO RLE object {\"size\": [h, w], \"counts\": …}");
        var size = o["size"] as JsonArray ?? throw new FormatException("COCO RLE without 'size'");
        if (size.Count != 2) throw new FormatException($"COCO RLE 'size' has {size.Count} numbers, expected [h, w]");
        var (h, w) = (size[0]!.GetValue<int>(), size[1]!.GetValue<int>());
        var counts = o["counts"] switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => CocoRle.Decompress(s),
            JsonArray a => a.Select(c => Count(c!.GetValue<long>())).ToArray(),
            null => throw new FormatException("COCO RLE without 'counts'"),
            _ => throw new FormatException("COCO RLE 'counts' must be a string (compressed) or a list of run lengths"),
        };
        CocoRle.Validate(counts, h, w);
        return new RleMask(h, w, counts);
    }

    private static uint Count(long n) =>
        n is >= 0 and <= uint.MaxValue ? (uint)n
            : throw new FormatException($"COCO RLE count {n} is negative or too large");

    /// <summary>The compressed COCO RLE object (pycocotools decodes it as is).</summary>
    public JsonObject ToJson() =>
        new() { ["size"] = new JsonArray(Height, Width), ["counts"] = CocoRle.Compress(Counts) };
}

/// <summary>
/// Region masks at image resolution (e.g. SAM's), all of one size H×W: the size of the image they were computed
/// on. That may be a resized copy of the stored image (same aspect ratio): masks are laid over the whole image.
/// </summary>
public sealed record PixelMasks(int Height, int Width, RleMask[] Masks) : IImageRegions
{
    public int Count => Masks.Length;
    public (int Width, int Height) RasterSize => (Width, Height);

    public void Fill(int m, Span<byte> raster) => CocoRle.Fill(Masks[m].Counts, Height, Width, raster);

    /// <summary>Masks of different sizes cannot describe one image.</summary>
    public static PixelMasks Create(IReadOnlyList<RleMask> masks)
    {
        if (masks.Count == 0) throw new FormatException("no masks");
        var (h, w) = (masks[0].Height, masks[0].Width);
        for (var i = 1; i < masks.Count; i++)
            if (masks[i].Height != h || masks[i].Width != w)
                throw new FormatException($"mask {i} is {masks[i].Height}x{masks[i].Width} (h x w), mask 0 is {h}x{w}");
        return new PixelMasks(h, w, masks.ToArray());
    }

    /// <summary>
    /// Whether masks of this size can lie over a <paramref name="imageWidth"/>×<paramref name="imageHeight"/>
    /// image: the same size, or a resize of it (aspect ratios equal to within one pixel's rounding), as when SAM ran
    /// on the original and the shard holds a resized copy. A different aspect ratio means another crop: refused.
    /// </summary>
    public bool Fits(int imageWidth, int imageHeight) =>
        Math.Abs((long)Width * imageHeight - (long)Height * imageWidth)
            <= Math.Max(Math.Max(Width, Height), Math.Max(imageWidth, imageHeight));
}
