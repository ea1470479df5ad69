namespace PowerClip.Data;

/// <summary>
/// The robustness analogue of ImageNet-R/Sketch (ours): the zero-shot benchmark's scenes (the same single-object
/// scenes of every colour×shape class, from the same seeded streams) rendered once per shifted
/// <see cref="RenderStyle"/> — DIR/outline/, DIR/texture/, DIR/palette/, each a zero-shot folder in the layout of
/// <see cref="BenchmarkExporter.ZeroShot"/> (classnames.txt, zeroshot_classification_templates.txt,
/// heldout_classes.txt, test/LABEL/*.png).
/// </summary>
public sealed class RobustnessExport(SyntheticWorld world, WorldSplit split = WorldSplit.Test)
{
    /// <summary>Writes every shift; returns the images written per shift name.</summary>
    public IReadOnlyDictionary<string, int> Write(string dir, int perClass)
    {
        var exporter = new BenchmarkExporter(world, split);
        return RenderStyle.Shifts.ToDictionary(s => s.Name,
                                               s => exporter.ZeroShot(Path.Combine(dir, s.Name), perClass, s));
    }
}
