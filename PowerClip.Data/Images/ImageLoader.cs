using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace PowerClip.Data;

/// <summary>The outcome of decoding one image: the image, or why it was skipped (a short reason and the
/// detail).</summary>
public readonly record struct ImageResult(RgbImage? Image, string Reason, string Detail)
{
    public bool Ok => Image is not null;
}

/// <summary>
/// Decodes images with ImageSharp 2.1.13 (never 3.x: paid licence), restricted to JPEG, PNG, BMP and WebP.
/// The header is read first and an image over <see cref="MaxPixels"/> is refused before any pixel is
/// decoded (a "decompression bomb" declares a huge size in a tiny file). The format is recognised from the
/// content, not the extension. Every failure becomes a reason — unknown format, too large, corrupt — never
/// an exception, so callers skip and count.
/// </summary>
public sealed class ImageLoader(long maxPixels = ImageLoader.DefaultMaxPixels)
{
    /// <summary>89.5 megapixels, the PIL default limit img2dataset users know.</summary>
    public const long DefaultMaxPixels = 89_478_485;

    public long MaxPixels { get; } = maxPixels;

    private static readonly Configuration Formats = new(
        new JpegConfigurationModule(), new PngConfigurationModule(), new BmpConfigurationModule(),
            new WebpConfigurationModule());

    public ImageResult Load(byte[] bytes)
    {
        if (bytes.Length == 0) return new(null, "empty file", "0 bytes");
        try
        {
            var info = Image.Identify(Formats, bytes, out var format);
            if (info is null || format is null) return new(null, "unsupported format", "not JPEG, PNG, BMP or WebP");
            var pixels = (long)info.Width * info.Height;
            if (info.Width <= 0 || info.Height <= 0) return new(null, "corrupt image",
                $"declared size {info.Width}x{info.Height}");
            if (pixels > MaxPixels) return new(null, "too large",
                $"{info.Width}x{info.Height} = {pixels} pixels exceeds the cap of {MaxPixels}");
            using var image = Image.Load<Rgb24>(Formats, bytes);
            var rgb = new byte[image.Width * image.Height * 3];
            image.CopyPixelDataTo(rgb);
            return new(new RgbImage(image.Width, image.Height, rgb), "", "");
        }
        catch (UnknownImageFormatException e) { return new(null, "unsupported format", e.Message); }
        // Whatever a hostile file makes the decoder throw, it is that file's problem, not the run's.
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new(null, "corrupt image", $"{e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>An image's pixel size from its header alone (no decoding); null when it is no readable image.</summary>
    public static (int Width, int Height)? Identify(byte[] bytes)
    {
        if (bytes.Length == 0) return null;
        try
        {
            var info = Image.Identify(Formats, bytes, out var format);
            var ok = info is not null && format is not null && info.Width > 0 && info.Height > 0;
            return ok ? (info!.Width, info.Height) : null;
        }
        catch (Exception e) when (e is not OutOfMemoryException) { return null; }
    }

    public ImageResult Load(string path)
    {
        try { return Load(File.ReadAllBytes(path)); }
        catch (IOException e) { return new(null, "unreadable file", e.Message); }
        catch (UnauthorizedAccessException e) { return new(null, "unreadable file", e.Message); }
    }

    /// <summary>Encodes an RGB image as PNG (lossless, so synthetic masks stay exact).</summary>
    public static byte[] EncodePng(RgbImage image)
    {
        using var img = Image.LoadPixelData<Rgb24>(image.Validate().Pixels, image.Width, image.Height);
        using var ms = new MemoryStream();
        img.SaveAsPng(ms);
        return ms.ToArray();
    }

    /// <summary>Encodes an RGB image as JPEG (quality 95), the format img2dataset writes by default.</summary>
    public static byte[] EncodeJpeg(RgbImage image)
    {
        using var img = Image.LoadPixelData<Rgb24>(image.Validate().Pixels, image.Width, image.Height);
        using var ms = new MemoryStream();
        img.SaveAsJpeg(ms, new JpegEncoder { Quality = 95 });
        return ms.ToArray();
    }
}
