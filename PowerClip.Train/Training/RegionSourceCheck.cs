using PowerClip.Data;
using PowerClip.Model;

namespace PowerClip.Train.Training;

/// <summary>
/// Keeps a run labelled PowerCLIP-S honest: with region source "masks", the data must carry masks. Checked at
/// start, the same on every rank (it reads the whole shard list, not the rank's part): the synthetic world
/// always carries exact masks (nothing to read); a CSV table never does; WebDataset shards are probed, the
/// first <see cref="ProbeSize"/> samples in shard order. Under <see cref="MinShare"/> stops the run with one
/// line, unless the config accepts random boxes for the rest (RegionFallback "boxes").
/// </summary>
public static class RegionSourceCheck
{
    public const int ProbeSize = 256;
    public const double MinShare = 0.9;

    /// <summary>A line to print (null when nothing was checked); throws when masks were asked for and lack.</summary>
    public static string? Require(TrainConfig config, ClipConfig model, bool needsRegions)
    {
        if (!needsRegions || config.RegionSource != "masks") return null;
        MaskProbeResult probe;
        string where;
        if (config.Data == "world") return null;
        if (config.Data.StartsWith("csv:", StringComparison.Ordinal))
            (probe, where) = (new MaskProbeResult(0, 0), "a CSV table carries no region masks");
        else
        {
            var options = new StreamOptions(ShuffleBuffer: 0, Parallelism: config.DataThreads, Prefetch: 1);
            var source = new WebDatasetSource(config.Data[4..], options, new DataProblems());
            var transform = new ImageTransform(model.Vision.ImageSize, model.Vision.PatchSize)
                { MaskCoverage = config.MaskCoverage };
            probe = MaskProbe.Run(source.Read(0), transform, ProbeSize);
            where = $"{probe.WithMasks} of the first {probe.Probed} samples ({100 * probe.Share:F1}%) " +
                    "carry masks that reach the " +
                    $"{transform.GridSize}x{transform.GridSize} patch grid";
        }
        if (probe.Share >= MinShare) return $"region masks: {where}";
        if (config.RegionFallback == "boxes")
            return $"region masks: {where}; the others get random boxes (--region-fallback boxes): partly PowerCLIP-R";
        throw new InvalidDataException(
            $"--region-source masks: {where}, under {100 * MinShare:F0}%; add masks (powerclip data masks), " +
            "train PowerCLIP-R " +
            "with --region-source boxes, or accept boxes for the samples without masks with --region-fallback boxes");
    }
}
