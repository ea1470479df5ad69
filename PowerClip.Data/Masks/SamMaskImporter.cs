using System.Formats.Tar;
using System.Text;
using System.Text.Json.Nodes;

namespace PowerClip.Data;

/// <summary>Settings of <see cref="SamMaskImporter"/>: the cap and area floor of <see cref="SamMaskFile.Select"/>,
/// the tar entry cap.</summary>
public sealed record MaskImportOptions(int MaxMasks = MaskImportOptions.DefaultMaxMasks, double MinAreaFraction = 0,
                                       long MaxEntryBytes = WebDataset.DefaultMaxEntryBytes)
{
    /// <summary>[reconstructed] 32 masks per image: over three times M = 10, about 5–15 KB of RLE per sample.</summary>
    public const int DefaultMaxMasks = 32;
}

/// <summary>What an import did: samples written, how many got masks and why the others did not.</summary>
public sealed record MaskImportReport(int Shards, int Samples, int WithMasks, int NoMaskFile, int BadMaskFile,
                                      int DoNotFit, int NoneKept, int NoImage, long MasksFound, long MasksKept)
{
    public double Share => Samples == 0 ? 0 : (double)WithMasks / Samples;

    public string Summary() =>
        $"{WithMasks} of {Samples} samples ({100 * Share:F1}%) got masks ({MasksKept} kept of {MasksFound} found); " +
        $"{NoMaskFile} without a mask file, {BadMaskFile} with an unreadable one, " +
        $"{DoNotFit} whose masks do not fit the image, " +
        $"{NoneKept} with no mask left after the selection, {NoImage} without a readable image";
}

/// <summary>
/// Adds SAM/SAM2 masks (<see cref="SamMaskFile"/>) to existing WebDataset shards: each input shard is copied,
/// every file of every sample byte for byte, into a shard of the same name in the output folder, with
/// key.regions.json set to the selected masks as COCO RLEs at the resolution SAM saw ({"masks": [...]},
/// <see cref="RegionsJson"/>). A sample's mask file is MASKS/KEY.json, else MASKS/NAME.json with NAME the key's
/// last path part (amg.py names its output after the image file). A sample without a usable mask file is copied
/// as it was. Each output shard is written under a temporary name and renamed when complete.
/// </summary>
public sealed class SamMaskImporter(string maskDirectory, MaskImportOptions options, DataProblems problems)
{
    public MaskImportReport Import(string shardPattern, string outputDirectory)
    {
        if (!Directory.Exists(maskDirectory))
            throw new DirectoryNotFoundException($"mask folder '{maskDirectory}' does not exist");
        var shards = BraceExpansion.Expand(shardPattern);
        var outputs = shards.Select(s => Path.GetFullPath(Path.Combine(outputDirectory, Path.GetFileName(s))))
            .ToArray();
        if (outputs.Distinct().Count() != outputs.Length)
            throw new ArgumentException($"{shardPattern} names two shards of one file name: the outputs would collide");
        if (shards.Any(s => outputs.Contains(Path.GetFullPath(s))))
            throw new ArgumentException($"the output folder {outputDirectory} holds input shards: use another --out");
        Directory.CreateDirectory(outputDirectory);
        var counts = new int[6];
        long found = 0, kept = 0;
        for (var i = 0; i < shards.Count; i++)
        {
            var temporary = outputs[i] + ".tmp";
            using (var file = File.Create(temporary))
            using (var tar = new TarWriter(file, TarEntryFormat.Gnu, leaveOpen: false))
                foreach (var record in WebDataset.ReadShard(shards[i], problems, options.MaxEntryBytes))
                {
                    var (outcome, regions, total) = Masks(record);
                    counts[(int)outcome]++;
                    found += total;
                    kept += regions?.Masks.Length ?? 0;
                    foreach (var (ext, bytes) in record.Files)
                        if (ext != "regions.json" || regions is null) Write(tar, $"{record.Key}.{ext}", bytes);
                    if (regions is not null)
                        Write(tar, $"{record.Key}.regions.json",
                              Encoding.UTF8.GetBytes(Json(regions, total).ToJsonString()));
                }
            File.Move(temporary, outputs[i], overwrite: true);
        }
        int Count(Outcome o) => counts[(int)o];
        return new MaskImportReport(shards.Count, counts.Sum(), Count(Outcome.Masks), Count(Outcome.NoFile),
            Count(Outcome.BadFile), Count(Outcome.DoNotFit), Count(Outcome.NoneKept), Count(Outcome.NoImage),
            found, kept);
    }

    private enum Outcome { Masks, NoFile, BadFile, DoNotFit, NoneKept, NoImage }

    private sealed record Kept(SamMask[] Masks);

    private (Outcome, Kept?, int Found) Masks(ShardRecord record)
    {
        var path = MaskFile(record.Key);
        if (path is null) return (Outcome.NoFile, null, 0);
        var image = WebDataset.ImageExtensions.Where(record.Files.ContainsKey)
            .Select(e => ImageLoader.Identify(record.Files[e])).FirstOrDefault();
        if (image is not { } size) return (Outcome.NoImage, null, 0);
        IReadOnlyList<SamMask> all;
        try { all = SamMaskFile.Read(path); }
        catch (Exception e) when (e is FormatException or IOException or InvalidOperationException)
        {
            problems.Repaired(record.Key, "bad mask file", $"{path}: {e.Message}; copied without masks");
            return (Outcome.BadFile, null, 0);
        }
        if (all.Count > 0 && !(PixelMasksOf(all) is { } pm && pm.Fits(size.Width, size.Height)))
        {
            problems.Repaired(record.Key, "masks do not fit",
                $"{path}: masks are {all[0].Mask.Width}x{all[0].Mask.Height} (or of mixed sizes), " +
                $"the image {size.Width}x{size.Height}; copied without masks");
            return (Outcome.DoNotFit, null, all.Count);
        }
        var selected = SamMaskFile.Select(all, options.MaxMasks, options.MinAreaFraction);
        return selected.Count == 0
            ? (Outcome.NoneKept, null, all.Count)
            : (Outcome.Masks, new Kept(selected.ToArray()), all.Count);
    }

    private static PixelMasks? PixelMasksOf(IReadOnlyList<SamMask> masks)
    {
        try { return PixelMasks.Create(masks.Select(m => m.Mask).ToArray()); }
        catch (FormatException) { return null; }
    }

    private string? MaskFile(string key)
    {
        foreach (var name in new[] { key, key[(key.LastIndexOf('/') + 1)..] })
        {
            var path = Path.Combine(maskDirectory, name + ".json");
            if (File.Exists(path)) return path;
        }
        return null;
    }

    private static JsonObject Json(Kept kept, int found) => new()
    {
        ["source"] = "sam-amg",
        ["found"] = found,
        ["masks"] = new JsonArray(kept.Masks.Select(m =>
        {
            var o = m.Mask.ToJson();
            o["area"] = m.Area;
            if (double.IsFinite(m.PredictedIou)) o["predicted_iou"] = m.PredictedIou;
            if (double.IsFinite(m.StabilityScore)) o["stability_score"] = m.StabilityScore;
            return (JsonNode)o;
        }).ToArray()),
    };

    private static void Write(TarWriter tar, string name, byte[] bytes) =>
        tar.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(bytes), ModificationTime = DateTimeOffset.UnixEpoch,
        });
}
