namespace PowerClip.Data;

/// <summary>An 8-bit RGB image, row-major, 3 bytes per pixel (HWC).</summary>
public sealed record RgbImage(int Width, int Height, byte[] Pixels)
{
    public RgbImage Validate() =>
        Pixels.Length == Width * Height * 3 ? this : throw new ArgumentException(
            $"RGB image {Width}x{Height} needs {Width * Height * 3} bytes, got {Pixels.Length}");
}

/// <summary>
/// Region masks on a GridSize×GridSize patch grid: for each region (object), the sorted row-major patch
/// indices it covers — CSR-friendly (<see cref="ToCsr"/>). The model's input form; as shipped data (the synthetic
/// world, the {"grid": G, "patches": …} file format) the grid is laid over the whole image, square or not.
/// </summary>
public sealed record RegionMasks(int GridSize, int[][] Patches) : IImageRegions
{
    public int Count => Patches.Length;

    public (int Width, int Height) RasterSize => (GridSize, GridSize);

    public void Fill(int m, Span<byte> raster)
    {
        raster[..(GridSize * GridSize)].Clear();
        foreach (var p in Patches[m]) raster[p] = 1;
    }

    /// <summary>CSR form: region r covers Indices[Offsets[r]..Offsets[r+1]).</summary>
    public (int[] Offsets, int[] Indices) ToCsr()
    {
        var offsets = new int[Patches.Length + 1];
        for (var r = 0; r < Patches.Length; r++) offsets[r + 1] = offsets[r] + Patches[r].Length;
        return (offsets, Patches.SelectMany(p => p).ToArray());
    }

    /// <summary>The masks on another grid: a new patch is in a region when its centre falls in one of the region's old
    /// patches.</summary>
    public RegionMasks Resample(int gridSize)
    {
        if (gridSize == GridSize) return this;
        var result = Patches.Select(old =>
        {
            var set = old.ToHashSet();
            return Enumerable.Range(0, gridSize * gridSize).Where(p =>
            {
                var (r, c) = (p / gridSize, p % gridSize);
                var (or, oc) = ((int)((r + 0.5) * GridSize / gridSize), (int)((c + 0.5) * GridSize / gridSize));
                return set.Contains(or * GridSize + oc);
            }).ToArray();
        }).ToArray();
        return new RegionMasks(gridSize, result);
    }
}

/// <summary>
/// One training/evaluation pair as it comes out of a data source, before image preprocessing: the decoded
/// image, the caption, and optionally region masks and a PTB tree string shipped with the data. Masks come on a
/// patch grid over the image (<paramref name="Regions"/>) or at image resolution (<paramref name="Masks"/>, COCO
/// RLE as SAM writes them); when both are present the pixel masks are used (<see cref="ShippedRegions"/>).
/// </summary>
public sealed record RawSample(string Key, string Caption, RgbImage Image, RegionMasks? Regions = null,
                               string? Tree = null, PixelMasks? Masks = null)
{
    public IImageRegions? ShippedRegions => (IImageRegions?)Masks ?? Regions;
}

/// <summary>
/// One pair ready for batching: the image as a CLIP-normalised float[] in CHW order (3×Size×Size), optional
/// region masks on the model's patch grid, and the caption prepared for the text encoder and the loss
/// (token ids, constituency tree shipped or parsed, word→token leaf spans and node sets).
/// </summary>
public sealed record DataSample(string Key, float[] Pixels, int Size, RegionMasks? Regions, PreparedCaption Text)
{
    public string Caption => Text.Caption;
}

/// <summary>A source of raw samples (WebDataset shards, a CSV table, an image folder, the synthetic world).</summary>
public interface IRawSampleSource
{
    /// <summary>The samples of one epoch, in the source's (seeded) order; bad samples are skipped and
    /// reported.</summary>
    IEnumerable<RawSample> Read(int epoch = 0);
}
