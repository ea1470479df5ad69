using System.Collections.Concurrent;
using System.Formats.Tar;
using System.Text;
using PowerClip.Data;

namespace PowerClip.Train.Evaluation;

/// <summary>One webdataset sample of a shard: its key and, by extension ("webp", "cls", "txt"), where its files
/// lie.</summary>
public sealed record ShardSample(string Shard, string Key, IReadOnlyDictionary<string, TarMember> Files)
{
    /// <summary>The first image among CLIP_benchmark's extensions, in its order (webp, png, jpg, jpeg).</summary>
    public string? ImageMember() =>
        ImageExtensions.Where(Files.ContainsKey).Select(e => Files[e].Name).FirstOrDefault();

    public static readonly string[] ImageExtensions = ["webp", "png", "jpg", "jpeg"];

    public string Text(string extension) =>
        Files.TryGetValue(extension, out var m) ? Encoding.UTF8.GetString(TarShards.ReadMember(Shard, m.Name))
            : throw new BenchmarkDataException($"{Shard} sample '{Key}': no .{extension} file");
}

/// <summary>A regular file inside a tar: its name, where its data starts and its length.</summary>
public sealed record TarMember(string Name, long Offset, long Length);

/// <summary>
/// Random access to webdataset tar shards for evaluation: each shard is scanned once (headers only) into an
/// index of its members, so an image can be decoded straight from its offset when an encoder asks for it.
/// Samples are consecutive members sharing a key (the name up to the first dot of the file name), as the
/// webdataset library groups them.
/// </summary>
public static class TarShards
{
    private sealed record ShardIndex(IReadOnlyList<ShardSample> Samples, Dictionary<string, TarMember> Members);

    private static readonly ConcurrentDictionary<string, ShardIndex> Index = new(StringComparer.Ordinal);

    public static IReadOnlyList<ShardSample> Samples(string shard) => Of(shard).Samples;

    /// <summary>The shard's index, rebuilt when the file changes (keyed by path, length and modification
    /// time).</summary>
    private static ShardIndex Of(string shard)
    {
        var info = new FileInfo(shard);
        if (!info.Exists) throw new BenchmarkDataException($"shard not found: {shard}");
        return Index.GetOrAdd($"{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}", _ => Build(shard));
    }

    private static ShardIndex Build(string shard)
    {
        var samples = Scan(shard);
        var members = new Dictionary<string, TarMember>(StringComparer.Ordinal);
        foreach (var f in samples.SelectMany(s => s.Files.Values)) members.TryAdd(f.Name, f);
        return new ShardIndex(samples, members);
    }

    public static byte[] ReadMember(string shard, string member)
    {
        if (!Of(shard).Members.TryGetValue(member, out var m))
            throw new BenchmarkDataException($"{shard}: no member {member}");
        using var stream = File.OpenRead(shard);
        stream.Seek(m.Offset, SeekOrigin.Begin);
        var bytes = new byte[m.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static IReadOnlyList<ShardSample> Scan(string shard)
    {
        if (!File.Exists(shard)) throw new BenchmarkDataException($"shard not found: {shard}");
        var samples = new List<ShardSample>();
        string? key = null;
        var files = new Dictionary<string, TarMember>(StringComparer.Ordinal);
        try
        {
            using var stream = File.OpenRead(shard);
            using var reader = new TarReader(stream);
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                var (k, ext) = WebDataset.SplitName(entry.Name);
                if (ext.Length == 0) continue;
                if (k != key && key is not null && files.Count > 0)
                {
                    samples.Add(new ShardSample(shard, key, files));
                    files = new Dictionary<string, TarMember>(StringComparer.Ordinal);
                }
                key = k;
                files[ext] = new TarMember(entry.Name, entry.DataOffset, entry.Length);
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or IOException)
        {
            throw new BenchmarkDataException($"{shard}: not a readable tar shard ({e.Message})", e);
        }
        if (key is not null && files.Count > 0) samples.Add(new ShardSample(shard, key, files));
        return samples;
    }
}
