using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace PowerClip.Data;

/// <summary>
/// CLIP preprocessing: resize the shorter side to <see cref="Size"/> (bicubic), centre crop to Size×Size,
/// scale to [0,1] and normalise with CLIP's mean/std, as a float[] in CHW order. Training augmentation is
/// light: a random resized crop (area 90–100 %) and a small brightness/contrast jitter. Samples with region
/// masks are never cropped at random (that would move objects off their masks), only jittered; square images
/// keep their masks, which are resampled to the output patch grid.
/// </summary>
public sealed record ImageTransform(int Size, int PatchSize, bool Augment = false)
{
    public static readonly float[] ClipMean = [0.48145466f, 0.4578275f, 0.40821073f];
    public static readonly float[] ClipStd = [0.26862954f, 0.26130258f, 0.27577711f];

    public int GridSize => Size / PatchSize;

    /// <summary>
    /// Preprocesses an image and its region masks (if any); <paramref name="rng"/> drives augmentation (required
    /// when Augment is on). Returns the CHW pixels and the masks on this transform's patch grid (null when the image
    /// had none, or when it is not square, because a centre crop would move the grid).
    /// </summary>
    public (float[] Pixels, RegionMasks? Regions) Apply(RgbImage image, RegionMasks? regions, Random? rng = null)
    {
        if (Augment && rng is null) throw new ArgumentException("augmentation needs a random stream");
        using var img = Image.LoadPixelData<Rgb24>(image.Validate().Pixels, image.Width, image.Height);
        if (regions is not null && image.Width != image.Height) regions = null;
        if (Augment && regions is null) RandomResizedCrop(img, rng!);
        else ResizeCentreCrop(img);
        return (ToChw(img, Augment ? rng : null), regions?.Resample(GridSize));
    }

    private void ResizeCentreCrop(Image<Rgb24> img)
    {
        var scale = (double)Size / Math.Min(img.Width, img.Height);
        var (w, h) = (Math.Max(Size, (int)Math.Round(img.Width * scale)), Math.Max(Size, (int)Math.Round(img.Height * scale)));
        img.Mutate(c =>
        {
            if (w != img.Width || h != img.Height) c.Resize(w, h, KnownResamplers.Bicubic);
            if (w != Size || h != Size) c.Crop(new Rectangle((w - Size) / 2, (h - Size) / 2, Size, Size));
        });
    }

    private void RandomResizedCrop(Image<Rgb24> img, Random rng)
    {
        var side = Math.Min(img.Width, img.Height);
        var crop = Math.Max(1, (int)Math.Round(side * Math.Sqrt(0.9 + 0.1 * rng.NextDouble())));
        var x = rng.Next(img.Width - crop + 1);
        var y = rng.Next(img.Height - crop + 1);
        img.Mutate(c => c.Crop(new Rectangle(x, y, crop, crop)).Resize(Size, Size, KnownResamplers.Bicubic));
    }

    private float[] ToChw(Image<Rgb24> img, Random? jitter)
    {
        var (gain, bias) = jitter is null ? (1f, 0f) : (1f + 0.2f * ((float)jitter.NextDouble() - 0.5f), 0.1f * ((float)jitter.NextDouble() - 0.5f));
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
