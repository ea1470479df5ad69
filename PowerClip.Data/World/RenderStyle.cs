namespace PowerClip.Data;

/// <summary>
/// How <see cref="WorldRenderer"/> draws a scene. <see cref="Plain"/> is the world as training sees it; the
/// three <see cref="Shifts"/> draw the same scenes under a distribution shift, in the spirit of ImageNet-Sketch
/// and ImageNet-R (the paper's robustness sets) [ours: the shifts and their strengths are our choice]:
/// <list type="bullet">
/// <item><see cref="Outlines"/>: each object only as its outline (a band of <see cref="OutlineWidth"/> of its
/// radius, at least one pixel), the inside left as background — a sketch of the shape;</item>
/// <item><see cref="Textured"/>: the plain background replaced by seeded sinusoidal stripes between the scene's
/// background colour and a brighter random colour, at a random angle and period;</item>
/// <item><see cref="Palette"/>: a new palette jitter: every object colour moved by up to ±<see cref="ColourJitter"/>
/// per channel (training: ±12) and the whole image by a colour cast of up to ±<see cref="ColourCast"/>.</item>
/// </list>
/// The plain style draws exactly what the renderer always drew (same random stream, same bytes).
/// </summary>
public sealed record RenderStyle(string Name, bool Outline = false, bool TexturedBackground = false,
                                 int ColourJitter = 12, int ColourCast = 0, double OutlineWidth = 0.3)
{
    public static RenderStyle Plain { get; } = new("plain");
    public static RenderStyle Outlines { get; } = new("outline", Outline: true);
    public static RenderStyle Textured { get; } = new("texture", TexturedBackground: true);
    public static RenderStyle Palette { get; } = new("palette", ColourJitter: 36, ColourCast: 24);

    /// <summary>The robustness analogue's three shifted renderings, in report order.</summary>
    public static IReadOnlyList<RenderStyle> Shifts { get; } = [Outlines, Textured, Palette];

    public static RenderStyle Named(string name) =>
        Shifts.Append(Plain).FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException(
            $"unknown render style '{name}': expected plain, {string.Join(", ", Shifts.Select(s => s.Name))}");

    public RenderStyle Validate()
    {
        if (ColourJitter is < 0 or > 127)
            throw new ArgumentException($"colour jitter must be in [0, 127], got {ColourJitter}");
        if (ColourCast is < 0 or > 127)
            throw new ArgumentException($"colour cast must be in [0, 127], got {ColourCast}");
        if (!(OutlineWidth is > 0 and < 1))
            throw new ArgumentException($"outline width must be in (0, 1), got {OutlineWidth}");
        return this;
    }
}
