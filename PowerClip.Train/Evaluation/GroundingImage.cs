using PowerClip.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace PowerClip.Train.Evaluation;

/// <summary>
/// Draws a grounding as one PNG row of square panels: panel 0 is the image as the model saw it (shorter side
/// resized, centre crop), panel k the image darkened with phrase k's region weights as a heat map (black →
/// red → yellow → white for weight 0 → 1), one flat cell per patch. No text is drawn (ImageSharp.Drawing is
/// not used); the panel → phrase mapping comes with <see cref="GroundingResult"/>.
/// </summary>
public static class GroundingImage
{
    public const int DefaultPanel = 128;
    private const int Gap = 4;

    public static byte[] Render(RgbImage image, GroundingResult result, int panelSize = DefaultPanel)
    {
        if (panelSize < result.GridSize) throw new ArgumentException(
            $"panel size {panelSize} is smaller than the patch grid {result.GridSize}");
        using var source = Image.LoadPixelData<Rgb24>(image.Validate().Pixels, image.Width, image.Height);
        var scale = (double)panelSize / Math.Min(source.Width, source.Height);
        var (w, h) = (Math.Max(panelSize, (int)Math.Round(source.Width * scale)),
            Math.Max(panelSize, (int)Math.Round(source.Height * scale)));
        source.Mutate(c => c.Resize(w, h, KnownResamplers.Bicubic)
            .Crop(new Rectangle((w - panelSize) / 2, (h - panelSize) / 2, panelSize, panelSize)));

        var panels = 1 + result.Phrases.Count;
        using var canvas = new Image<Rgb24>(panels * panelSize + (panels - 1) * Gap, panelSize,
            new Rgb24(255, 255, 255));
        for (var y = 0; y < panelSize; y++)
            for (var x = 0; x < panelSize; x++)
            {
                var p = source[x, y];
                canvas[x, y] = p;
                var cell = y * result.GridSize / panelSize * result.GridSize + x * result.GridSize / panelSize;
                for (var k = 0; k < result.Phrases.Count; k++)
                    canvas[(k + 1) * (panelSize + Gap) + x, y] = Blend(p, Heat(result.Phrases[k].Weights[cell]));
            }
        using var ms = new MemoryStream();
        canvas.SaveAsPng(ms);
        return ms.ToArray();
    }

    /// <summary>A black-body ramp: 0 black, ⅓ red, ⅔ yellow, 1 white.</summary>
    public static Rgb24 Heat(float weight)
    {
        var v = Math.Clamp(weight, 0f, 1f) * 3;
        return new Rgb24(Byte(v), Byte(v - 1), Byte(v - 2));
    }

    private static byte Byte(float x) => (byte)Math.Round(255 * Math.Clamp(x, 0f, 1f));

    /// <summary>The image at 35 % under the heat colour, so the objects stay recognisable.</summary>
    private static Rgb24 Blend(Rgb24 image, Rgb24 heat) =>
        new((byte)(0.35 * image.R + 0.65 * heat.R), (byte)(0.35 * image.G + 0.65 * heat.G),
            (byte)(0.35 * image.B + 0.65 * heat.B));
}
