using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace PowerClip.Data;

/// <summary>
/// CLIP preprocessing: resize the shorter side to <see cref="Size"/> (bicubic), centre crop to Size×Size,
/// scale to [0,1] and normalise with CLIP's mean/std, as a float[] in CHW order. Training augmentation is
/// light: a random resized crop (area 90–100 %) and a small brightness/contrast jitter; no flip (captions state
/// left and right). Region masks shipped with the image travel through exactly the resize and crop the pixels
/// get, for any aspect ratio, and land on the output patch grid by <see cref="MaskCoverage"/>
/// (<see cref="MaskProjection"/>).
/// </summary>
public sealed record ImageTransform(int Size, int PatchSize, bool Augment = false)
{
    public static readonly float[] ClipMean = [0.48145466f, 0.4578275f, 0.40821073f];
    public static readonly float[] ClipStd = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>[reconstructed] The synthetic world's rule: a patch is in a region when ¼ of its pixels are.</summary>
    public const double DefaultMaskCoverage = 0.25;

    public int GridSize => Size / PatchSize;

    /// <summary>A patch belongs to a region when at least this share of its pixels is in the mask, in (0, 1].</summary>
    public double MaskCoverage { get; init; } = DefaultMaskCoverage;

    /// <summary>
    /// Preprocesses an image and its region masks (if any); <paramref name="rng"/> drives augmentation (required
    /// when Augment is on). Returns the CHW pixels and the masks on this transform's patch grid (null when the image
    /// had none, or when no mask covers a patch after the crop).
    /// </summary>
    public (float[] Pixels, RegionMasks? Regions) Apply(RgbImage image, IImageRegions? regions, Random? rng = null)
    {
        if (Augment && rng is null) throw new ArgumentException("augmentation needs a random stream");
        using var img = Image.LoadPixelData<Rgb24>(image.Validate().Pixels, image.Width, image.Height);
        var geometry = Augment ? RandomResizedCrop(img, rng!) : ResizeCentreCrop(img);
        return (ToChw(img, Augment ? rng : null), MapRegions(regions, image.Width, image.Height, geometry));
    }

    /// <summary>
    /// The masks of a <paramref name="width"/>×<paramref name="height"/> image after the crop
    /// <paramref name="geometry"/>, on this grid.
    /// </summary>
    public RegionMasks? MapRegions(IImageRegions? regions, int width, int height, CropGeometry geometry) =>
        regions is null ? null
            : MaskProjection.ToPatchGrid(regions, width, height, geometry, Size, PatchSize, MaskCoverage);

    /// <summary>The geometry of the evaluation path (resize the shorter side, centre crop) for this size.</summary>
    public CropGeometry CentreCrop(int width, int height)
    {
        var (w, h) = ResizedSize(width, height);
        var (sx, sy) = ((double)width / w, (double)height / h);
        return new CropGeometry((w - Size) / 2 * sx, (h - Size) / 2 * sy, sx, sy);
    }

    private (int W, int H) ResizedSize(int width, int height)
    {
        var scale = (double)Size / Math.Min(width, height);
        return (Math.Max(Size, (int)Math.Round(width * scale)), Math.Max(Size, (int)Math.Round(height * scale)));
    }

    private CropGeometry ResizeCentreCrop(Image<Rgb24> img)
    {
        var geometry = CentreCrop(img.Width, img.Height);
        var (w, h) = ResizedSize(img.Width, img.Height);
        img.Mutate(c =>
        {
            if (w != img.Width || h != img.Height) c.Resize(w, h, KnownResamplers.Bicubic);
            if (w != Size || h != Size) c.Crop(new Rectangle((w - Size) / 2, (h - Size) / 2, Size, Size));
        });
        return geometry;
    }

    private CropGeometry RandomResizedCrop(Image<Rgb24> img, Random rng)
    {
        var side = Math.Min(img.Width, img.Height);
        var crop = Math.Max(1, (int)Math.Round(side * Math.Sqrt(0.9 + 0.1 * rng.NextDouble())));
        var x = rng.Next(img.Width - crop + 1);
        var y = rng.Next(img.Height - crop + 1);
        img.Mutate(c => c.Crop(new Rectangle(x, y, crop, crop)).Resize(Size, Size, KnownResamplers.Bicubic));
        return new CropGeometry(x, y, (double)crop / Size, (double)crop / Size);
    }

    private float[] ToChw(Image<Rgb24> img, Random? jitter)
    {
        var (gain, bias) = jitter is null ? (1f, 0f) : (1f + 0.2f * ((float)jitter.NextDouble() - 0.5f),
            0.1f * ((float)jitter.NextDouble() - 0.5f));
        var plane = Size * Size;
        var result = new float[3 * plane];
        img.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < Size; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < Size; x++)
                {
                    var p = row[x];
                    var i = y * Size + x;
                    result[i] = (Math.Clamp(p.R / 255f * gain + bias, 0f, 1f) - ClipMean[0]) / ClipStd[0];
                    result[plane + i] = (Math.Clamp(p.G / 255f * gain + bias, 0f, 1f) - ClipMean[1]) / ClipStd[1];
                    result[2 * plane + i] = (Math.Clamp(p.B / 255f * gain + bias, 0f, 1f) - ClipMean[2]) / ClipStd[2];
                }
            }
        });
        return result;
    }
}
