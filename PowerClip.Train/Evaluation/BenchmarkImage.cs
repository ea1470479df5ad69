using System.Globalization;
using PowerClip.Data;

namespace PowerClip.Train.Evaluation;

/// <summary>A crop rectangle in PIL's convention: (left, upper, right, lower), right and lower exclusive.</summary>
public readonly record struct CropBox(int Left, int Upper, int Right, int Lower)
{
    /// <summary>
    /// ARO's box: image.crop((x, y, x + w, y + h)). PIL rounds each coordinate with Python's round (half to even)
    /// before cropping; so do we.
    /// </summary>
    public static CropBox FromXywh(double x, double y, double w, double h) =>
        new(Round(x), Round(y), Round(x + w), Round(y + h));

    private static int Round(double v) => (int)Math.Round(v, MidpointRounding.ToEven);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Left},{Upper},{Right},{Lower}");
}

/// <summary>
/// An image a benchmark names, as one string key (the benchmarks and encoders key images by string):
/// a file path; or a member of a tar shard, "SHARD.tar::KEY.webp" (CLIP_benchmark's webdataset layout);
/// either optionally cropped, "…#crop=L,U,R,B" (ARO's bounding boxes). Loading decodes with
/// <see cref="ImageLoader"/> and crops as PIL does (pixels outside the image are black).
/// </summary>
public static class BenchmarkImage
{
    private const string MemberSeparator = "::";
    private const string CropMarker = "#crop=";

    public static string InShard(string shard, string member) => shard + MemberSeparator + member;

    public static string Cropped(string image, CropBox box) => image + CropMarker + box;

    /// <summary>The parts of a reference. A path that exists as a file is always a plain path.</summary>
    public static (string Path, string? Member, CropBox? Crop) Parse(string reference)
    {
        if (File.Exists(reference)) return (reference, null, null);
        CropBox? crop = null;
        var c = reference.LastIndexOf(CropMarker, StringComparison.Ordinal);
        if (c >= 0 && ParseBox(reference[(c + CropMarker.Length)..]) is { } box)
        {
            crop = box;
            reference = reference[..c];
        }
        var m = reference.LastIndexOf(MemberSeparator, StringComparison.Ordinal);
        return m > 0 && !File.Exists(reference)
            ? (reference[..m], reference[(m + MemberSeparator.Length)..], crop) : (reference, null, crop);
    }

    /// <summary>Decodes (and crops) the image; a missing, unreadable or undecodable image is a data error naming
    /// it.</summary>
    public static RgbImage Load(string reference, ImageLoader loader)
    {
        var (path, member, crop) = Parse(reference);
        if (!File.Exists(path)) throw new BenchmarkDataException($"image not found: {path}");
        var result = member is null ? loader.Load(path) : loader.Load(TarShards.ReadMember(path, member));
        var where = member is null ? path : $"{path} member {member}";
        var image = result.Image
            ?? throw new BenchmarkDataException($"image {where}: {result.Reason} ({result.Detail})");
        return crop is { } box ? Crop(image, box, where) : image;
    }

    /// <summary>PIL's Image.crop: the box may reach outside the image; those pixels are black.</summary>
    public static RgbImage Crop(RgbImage image, CropBox box, string where = "image")
    {
        var (w, h) = (box.Right - box.Left, box.Lower - box.Upper);
        if (w <= 0 || h <= 0) throw new BenchmarkDataException($"{where}: empty crop box ({box})");
        var pixels = new byte[w * h * 3];
        for (var y = 0; y < h; y++)
        {
            var sy = box.Upper + y;
            if (sy < 0 || sy >= image.Height) continue;
            var x0 = Math.Max(0, -box.Left);
            var x1 = Math.Min(w, image.Width - box.Left);
            if (x1 <= x0) continue;
            Array.Copy(image.Pixels, 3 * (sy * image.Width + box.Left + x0), pixels, 3 * (y * w + x0), 3 * (x1 - x0));
        }
        return new RgbImage(w, h, pixels);
    }

    private static CropBox? ParseBox(string text)
    {
        var parts = text.Split(',');
        if (parts.Length != 4) return null;
        var v = new int[4];
        for (var i = 0; i < 4; i++)
            if (!int.TryParse(parts[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out v[i]))
                return null;
        return new CropBox(v[0], v[1], v[2], v[3]);
    }
}
