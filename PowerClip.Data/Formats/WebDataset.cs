using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PowerClip.Data;

/// <summary>
/// One WebDataset sample: its key and its files by extension ("jpg", "txt", "json", "regions.json", "tree"), and
/// where it lies in its tar: <paramref name="Offset"/> is its first header, <paramref name="End"/> the next sample's.
/// </summary>
public sealed record ShardRecord(string Key, IReadOnlyDictionary<string, byte[]> Files, long Offset = 0, long End = 0);

/// <summary>
/// WebDataset tar shards as img2dataset writes them: consecutive entries "key.ext" form one sample
/// (key.jpg|png|webp, key.txt = caption, optional key.json = metadata). PowerClip adds two optional files:
/// key.regions.json = region masks (<see cref="RegionsJson"/>: COCO RLEs at image resolution, or patch indices on
/// a G×G grid over the image) and key.tree = the caption's PTB bracket tree; both are also read from fields
/// "regions"/"tree" of key.json.
/// </summary>
public static class WebDataset
{
    public static readonly string[] ImageExtensions = ["jpg", "jpeg", "png", "webp", "bmp"];

    /// <summary>
    /// 64 MiB. An entry is read whole into memory, and up to 2×threads samples are in flight: the cap bounds
    /// that. No image the loader accepts needs more in practice (a JPEG at its 89.5 MP pixel cap is some
    /// 10–40 MB; img2dataset's resized images are 10–100 KB); a larger entry is a broken or foreign file.
    /// </summary>
    public const long DefaultMaxEntryBytes = 64L << 20;

    /// <summary>
    /// The samples of one shard, in order. A shard that cannot be read (missing, not a tar, truncated)
    /// is reported once to <paramref name="problems"/> and yields what it could read before the damage.
    /// An entry over <paramref name="maxEntryBytes"/> is skipped unread, and so is its whole sample (reported once,
    /// "oversized entry", with its key).
    /// </summary>
    /// <param name="offset">
    /// Where to start: 0, or a record's <see cref="ShardRecord.Offset"/> or <see cref="ShardRecord.End"/> (resume).
    /// </param>
    public static IEnumerable<ShardRecord> ReadShard(string path, DataProblems problems,
                                                     long maxEntryBytes = DefaultMaxEntryBytes, long offset = 0)
    {
        Stream stream;
        try { stream = File.OpenRead(path); stream.Position = offset; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Report(path, "unreadable shard", e.Message);
            yield break;
        }
        using (stream)
            foreach (var r in ReadShard(stream, path, problems, maxEntryBytes)) yield return r;
    }

    public static IEnumerable<ShardRecord> ReadShard(Stream stream, string name, DataProblems problems,
                                                     long maxEntryBytes = DefaultMaxEntryBytes)
    {
        using var reader = new TarReader(stream);
        string? key = null, oversized = null;
        var files = new Dictionary<string, byte[]>();
        long start = 0, at = 0;
        while (true)
        {
            // Headers start on 512-byte blocks; the reader leaves the stream after the last entry's data or padding.
            at = stream.CanSeek ? (stream.Position + 511) / 512 * 512 : 0;
            var (entry, error) = Next(reader);
            if (error is not null) { problems.Report(name, "corrupt shard", error); break; }
            if (entry is null) break;
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
            var (k, ext) = SplitName(entry.Name);
            if (ext.Length == 0) continue;
            if (k != key && key is not null && files.Count > 0)
            {
                yield return new ShardRecord(key, files, start, at);
                files = new Dictionary<string, byte[]>();
            }
            if (files.Count == 0) start = at;
            key = k;
            if (k == oversized) continue;
            if (entry.Length > maxEntryBytes)
            {
                // Unread: the reader skips the entry's data (seeking where it can) when it moves to the next one.
                problems.Report($"{name}:{k}", "oversized entry",
                                $"{entry.Name} is {entry.Length} bytes, over the cap of {maxEntryBytes}");
                (oversized, files) = (k, new Dictionary<string, byte[]>());
                continue;
            }
            var (bytes, readError) = ReadAll(entry);
            if (readError is not null) { problems.Report($"{name}:{k}", "corrupt shard", readError); break; }
            files[ext] = bytes!;
        }
        // Reading from `at` meets the same end (or damage) again.
        if (key is not null && files.Count > 0) yield return new ShardRecord(key, files, start, at);
    }

    private static (TarEntry? Entry, string? Error) Next(TarReader reader)
    {
        try { return (reader.GetNextEntry(copyData: false), null); }
        catch (Exception e) when (
            e is InvalidDataException or EndOfStreamException or FormatException or IOException or ArgumentException)
        { return (null, e.Message); }
    }

    private static (byte[]? Bytes, string? Error) ReadAll(TarEntry entry)
    {
        try
        {
            if (entry.DataStream is null) return ([], null);
            using var ms = new MemoryStream();
            entry.DataStream.CopyTo(ms);
            return (ms.ToArray(), null);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException) {
            return (null, e.Message); }
    }

    /// <summary>WebDataset's rule: the key is the path up to the first dot of the file name; the rest is the
    /// extension.</summary>
    public static (string Key, string Extension) SplitName(string name)
    {
        var slash = name.LastIndexOf('/');
        var dot = name.IndexOf('.', slash + 1);
        return dot < 0 ? (name, "") : (name[..dot], name[(dot + 1)..].ToLowerInvariant());
    }

    /// <summary>
    /// Turns a record into a raw sample, or reports why not (missing image or caption, undecodable image,
    /// unreadable json/regions). The tree string is checked later: a bad one is replaced by the parser's tree.
    /// </summary>
    public static RawSample? Decode(ShardRecord record, ImageLoader loader, DataProblems problems)
    {
        var imageExt = ImageExtensions.FirstOrDefault(record.Files.ContainsKey);
        if (imageExt is null) { problems.Report(record.Key, "missing image", "no " + string.Join("/", ImageExtensions)
            + " file"); return null; }
        string? caption, tree;
        IImageRegions? regions;
        try
        {
            var meta = record.Files.TryGetValue("json", out var json) ? JsonNode.Parse(json) as JsonObject : null;
            caption = record.Files.TryGetValue("txt", out var txt)
                ? Encoding.UTF8.GetString(txt) : meta?["caption"]?.GetValue<string>();
            tree = record.Files.TryGetValue("tree", out var tb)
                ? Encoding.UTF8.GetString(tb) : meta?["tree"]?.GetValue<string>();
            regions = record.Files.TryGetValue("regions.json", out var rj)
                ? RegionsJson.Parse(JsonNode.Parse(rj)) : RegionsJson.Parse(meta?["regions"]);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            problems.Report(record.Key, "bad metadata", e.Message);
            return null;
        }
        if (string.IsNullOrWhiteSpace(caption)) { problems.Report(record.Key, "missing caption",
            "no txt file and no caption in json"); return null; }
        var image = loader.Load(record.Files[imageExt]);
        if (!image.Ok) { problems.Report(record.Key, image.Reason, image.Detail); return null; }
        var (w, h) = (image.Image!.Width, image.Image.Height);
        if (regions is PixelMasks pm && !pm.Fits(w, h))
        {
            problems.Repaired(record.Key, "masks do not fit",
                              $"masks are {pm.Width}x{pm.Height}, the image {w}x{h}: another crop; masks dropped");
            regions = null;
        }
        return new RawSample(record.Key, caption.Trim(), image.Image!, regions as RegionMasks, tree,
                             regions as PixelMasks);
    }
}
