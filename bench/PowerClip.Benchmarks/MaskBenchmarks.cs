using BenchmarkDotNet.Attributes;
using PowerClip.Data;

namespace PowerClip.Benchmarks;

/// <summary>
/// What -S masks add to preparing one sample: a 512x384 image with 32 SAM-like masks (ellipses, as COCO RLE strings)
/// at 224/16. Decoding the strings, mapping the masks to the 14x14 grid through the centre crop, and the whole
/// ImageTransform.Apply with and without masks (its pixel path, resize + crop + normalise, is the baseline).
/// </summary>
[MemoryDiagnoser]
public class MaskBenchmarks
{
    private const int Width = 512, Height = 384, Masks = 32;
    private readonly ImageTransform _transform = new(224, 16);
    private string[] _strings = [];
    private PixelMasks? _masks;
    private RgbImage? _image;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(BenchData.Seed);
        var masks = new RleMask[Masks];
        var mask = new byte[Width * Height];
        for (var m = 0; m < Masks; m++)
        {
            var (cx, cy, rx, ry) = (rng.Next(Width), rng.Next(Height), 10 + rng.Next(150), 10 + rng.Next(120));
            for (var y = 0; y < Height; y++)
                for (var x = 0; x < Width; x++)
                    mask[y * Width + x] = (byte)(Sq((x - cx) / (double)rx) + Sq((y - cy) / (double)ry) <= 1 ? 1 : 0);
            masks[m] = new RleMask(Height, Width, CocoRle.Encode(mask, Height, Width));
        }
        _strings = masks.Select(m => CocoRle.Compress(m.Counts)).ToArray();
        _masks = PixelMasks.Create(masks);
        var pixels = new byte[Width * Height * 3];
        rng.NextBytes(pixels);
        _image = new RgbImage(Width, Height, pixels);
    }

    private static double Sq(double v) => v * v;

    /// <summary>Σ run lengths of the 32 decoded strings.</summary>
    [Benchmark]
    public long DecodeRle() => _strings.Sum(s => CocoRle.Decompress(s).Sum(c => (long)c));

    /// <summary>Patches held by the 32 masks on the 14x14 grid after the centre crop.</summary>
    [Benchmark]
    public int ProjectMasks() =>
        _transform.MapRegions(_masks, Width, Height, _transform.CentreCrop(Width, Height))
            ?.Patches.Sum(p => p.Length) ?? 0;

    [Benchmark(Baseline = true)]
    public double PreparePixels() => _transform.Apply(_image!, null).Pixels[0];

    [Benchmark]
    public double PrepareWithMasks()
    {
        var (pixels, regions) = _transform.Apply(_image!, _masks);
        return (double)pixels[0] + (regions?.Count ?? 0);
    }
}
