namespace PowerClip.Data;

/// <summary>How many of the probed samples carry masks that reach the model's patch grid.</summary>
public sealed record MaskProbeResult(int Probed, int WithMasks)
{
    public double Share => Probed == 0 ? 0 : (double)WithMasks / Probed;
}

/// <summary>
/// Checks, before a -S run starts, that the data really carries region masks: of the first samples of a source,
/// the ones whose shipped masks (grid or RLE) keep at least one region on the model's patch grid after the
/// evaluation-path resize and centre crop of <paramref name="transform"/> (augmentation left out: it is random).
/// </summary>
public static class MaskProbe
{
    public static MaskProbeResult Run(IEnumerable<RawSample> samples, ImageTransform transform, int count)
    {
        var (probed, with) = (0, 0);
        foreach (var raw in samples.Take(count))
        {
            probed++;
            var (w, h) = (raw.Image.Width, raw.Image.Height);
            if (transform.MapRegions(raw.ShippedRegions, w, h, transform.CentreCrop(w, h)) is not null) with++;
        }
        return new MaskProbeResult(probed, with);
    }
}
