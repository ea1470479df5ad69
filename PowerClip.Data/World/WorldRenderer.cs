namespace PowerClip.Data;

/// <summary>
/// Draws a scene into an RGB image and computes each object's exact mask on the patch grid. Pixels are
/// sampled at their centres (no anti-aliasing) so the object mask is exactly the set of pixels painted.
/// A patch belongs to an object when the object covers at least a quarter of it; an object too small for
/// that keeps its best-covered patch, so no mask is empty. A <see cref="RenderStyle"/> other than the plain one
/// draws the same scene shifted (outlines, textured background, palette jitter); its extra random draws come
/// from the same stream, so the plain rendering is unchanged.
/// </summary>
public static class WorldRenderer
{
    public static (RgbImage Image, RegionMasks Masks) Render(WorldScene scene, WorldConfig config, Random rng,
                                                             RenderStyle? style = null)
    {
        style = (style ?? RenderStyle.Plain).Validate();
        var s = config.ImageSize;
        var pixels = new byte[s * s * 3];
        var owner = new int[s * s];
        var (br, bg, bb) = scene.Background;
        var texture = style.TexturedBackground ? Stripes.Draw(rng, s) : null;
        for (var p = 0; p < s * s; p++)
        {
            owner[p] = -1;
            var (r0, g0, b0) = texture is null ? (br, bg, bb) : texture.Colour(scene.Background, p % s, p / s);
            pixels[3 * p] = Clamp(r0 + rng.Next(-6, 7));
            pixels[3 * p + 1] = Clamp(g0 + rng.Next(-6, 7));
            pixels[3 * p + 2] = Clamp(b0 + rng.Next(-6, 7));
        }
        var jitter = style.ColourJitter;
        for (var i = 0; i < scene.Objects.Count; i++)
        {
            var o = scene.Objects[i];
            var (r, g, b) = WorldVocabulary.Rgb(o.Colour);
            int Jitter() => rng.Next(-jitter, jitter + 1);
            var (jr, jg, jb) = (Jitter(), Jitter(), Jitter());
            // The inner shape of an outline: the same shape shrunk by the band's width (at least one pixel).
            var inner = style.Outline ? Math.Max(0, 1 - Math.Max(style.OutlineWidth, 1.0 / o.Radius)) : 0;
            var (x0, x1) = (Math.Max(0, (int)(o.X - o.Radius) - 1), Math.Min(s - 1, (int)(o.X + o.Radius) + 1));
            var (y0, y1) = (Math.Max(0, (int)(o.Y - o.Radius) - 1), Math.Min(s - 1, (int)(o.Y + o.Radius) + 1));
            for (var y = y0; y <= y1; y++)
                for (var x = x0; x <= x1; x++)
                {
                    var (u, v) = ((x + 0.5 - o.X) / o.Radius, (y + 0.5 - o.Y) / o.Radius);
                    if (!Inside(o.Shape, u, v) || (inner > 0 && Inside(o.Shape, u / inner, v / inner))) continue;
                    var p = y * s + x;
                    owner[p] = i;
                    pixels[3 * p] = Clamp(r + jr);
                    pixels[3 * p + 1] = Clamp(g + jg);
                    pixels[3 * p + 2] = Clamp(b + jb);
                }
        }
        if (style.ColourCast > 0) Cast(pixels, rng, style.ColourCast);
        return (new RgbImage(s, s, pixels), Masks(owner, scene.Objects.Count, s, config.PatchSize));
    }

    /// <summary>One colour cast over the whole image (a white-balance shift).</summary>
    private static void Cast(byte[] pixels, Random rng, int amplitude)
    {
        var shift = Enumerable.Range(0, 3).Select(_ => rng.Next(-amplitude, amplitude + 1)).ToArray();
        for (var k = 0; k < pixels.Length; k++) pixels[k] = Clamp(pixels[k] + shift[k % 3]);
    }

    /// <summary>
    /// Sinusoidal stripes between the scene's background colour and a brighter second colour (60 to 120 above it in
    /// every channel, so the stripes always show), at a random angle and a period of 8% to 30% of the image side.
    /// </summary>
    private sealed record Stripes(double Cos, double Sin, double Period, (int R, int G, int B) Lift)
    {
        public static Stripes Draw(Random rng, int size)
        {
            var angle = rng.NextDouble() * Math.PI;
            var period = size * (0.08 + 0.22 * rng.NextDouble());
            int Lift() => rng.Next(60, 121);
            return new(Math.Cos(angle), Math.Sin(angle), period, (Lift(), Lift(), Lift()));
        }

        public (int R, int G, int B) Colour((byte R, byte G, byte B) first, int x, int y)
        {
            var t = 0.5 + 0.5 * Math.Sin(2 * Math.PI * (x * Cos + y * Sin) / Period);
            int Mix(byte from, int lift) => from + (int)Math.Round(lift * t);
            return (Mix(first.R, Lift.R), Mix(first.G, Lift.G), Mix(first.B, Lift.B));
        }
    }

    private static RegionMasks Masks(int[] owner, int objects, int s, int patch)
    {
        var grid = s / patch;
        var counts = new int[objects, grid * grid];
        for (var y = 0; y < s; y++)
            for (var x = 0; x < s; x++)
                if (owner[y * s + x] is var o and >= 0) counts[o, (y / patch) * grid + x / patch]++;
        var masks = new int[objects][];
        for (var o = 0; o < objects; o++)
        {
            var list = new List<int>();
            var best = 0;
            for (var p = 0; p < grid * grid; p++)
            {
                if (4 * counts[o, p] >= patch * patch) list.Add(p);
                if (counts[o, p] > counts[o, best]) best = p;
            }
            masks[o] = list.Count > 0 ? list.ToArray() : [best];
        }
        return new RegionMasks(grid, masks);
    }

    /// <summary>Shape membership in coordinates relative to the centre, in units of the radius (y grows
    /// downwards).</summary>
    public static bool Inside(Shape shape, double u, double v) => shape switch
    {
        Shape.Circle => u * u + v * v <= 1,
        Shape.Square => Math.Abs(u) <= 0.8 && Math.Abs(v) <= 0.8,
        Shape.Diamond => Math.Abs(u) + Math.Abs(v) <= 1,
        Shape.Cross => (Math.Abs(u) <= 0.3 && Math.Abs(v) <= 0.95) || (Math.Abs(v) <= 0.3 && Math.Abs(u) <= 0.95),
        Shape.Triangle => InPolygon(Triangle, u, v),
        _ => InPolygon(Star, u, v),
    };

    private static readonly (double X, double Y)[] Triangle = [(0, -1), (0.95, 0.75), (-0.95, 0.75)];

    private static readonly (double X, double Y)[] Star = Enumerable.Range(0, 10).Select(k =>
    {
        var angle = -Math.PI / 2 + k * Math.PI / 5;
        var radius = k % 2 == 0 ? 1.0 : 0.45;
        return (radius * Math.Cos(angle), radius * Math.Sin(angle));
    }).ToArray();

    private static bool InPolygon((double X, double Y)[] poly, double x, double y)
    {
        var inside = false;
        for (int i = 0, j = poly.Length - 1; i < poly.Length; j = i++)
            if ((poly[i].Y > y) != (poly[j].Y > y) && x < (poly[j].X - poly[i].X) * (y - poly[i].Y) / (
                poly[j].Y - poly[i].Y) + poly[i].X)
                inside = !inside;
        return inside;
    }

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);
}
