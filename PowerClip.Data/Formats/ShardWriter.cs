using System.Formats.Tar;
using System.Text;
using System.Text.Json.Nodes;

namespace PowerClip.Data;

/// <summary>
/// Writes samples into WebDataset shards "{prefix}-{00000}.tar", at most <paramref name="samplesPerShard"/> each,
/// in img2dataset's layout (key.png|jpg, key.txt, key.json) plus key.regions.json and key.tree when present.
/// Dispose (or <see cref="Complete"/>) closes the last shard.
/// </summary>
public sealed class ShardWriter(string directory, string prefix = "shard", int samplesPerShard = 1000,
    bool jpeg = false) : IDisposable
{
    private readonly int _perShard = samplesPerShard >= 1 ? samplesPerShard
        : throw new ArgumentOutOfRangeException(nameof(samplesPerShard), samplesPerShard,
            "samples per shard must be positive");
    private readonly List<string> _paths = [];
    private FileStream? _file;
    private TarWriter? _tar;
    private int _inShard;

    public IReadOnlyList<string> Paths => _paths;
    public int Written { get; private set; }

    /// <summary>The brace pattern that lists the shards written so far, e.g. "dir/shard-{00000..00003}.tar".</summary>
    public string Pattern => _paths.Count switch
    {
        0 => "",
        1 => _paths[0],
        _ => Path.Combine(directory, $"{prefix}-{{{0:D5}..{_paths.Count - 1:D5}}}.tar"),
    };

    public void Write(RawSample sample)
    {
        if (sample.Key.Contains('.') || sample.Key.Contains('/')) throw new ArgumentException(
            $"sample key '{sample.Key}' must not contain '.' or '/' (WebDataset splits names at the first dot)");
        if (_tar is null || _inShard == _perShard) Open();
        var meta = new JsonObject { ["key"] = sample.Key, ["caption"] = sample.Caption, ["width"] = sample.Image.Width,
            ["height"] = sample.Image.Height };
        Add($"{sample.Key}.{(jpeg ? "jpg" : "png")}",
            jpeg ? ImageLoader.EncodeJpeg(sample.Image) : ImageLoader.EncodePng(sample.Image));
        Add($"{sample.Key}.txt", Encoding.UTF8.GetBytes(sample.Caption));
        Add($"{sample.Key}.json", Encoding.UTF8.GetBytes(meta.ToJsonString()));
        var regions = sample.Masks is { } pm ? RegionsJson.Write(pm)
            : sample.Regions is { } r ? RegionsJson.Write(r) : null;
        if (regions is not null) Add($"{sample.Key}.regions.json", Encoding.UTF8.GetBytes(regions.ToJsonString()));
        if (sample.Tree is { } t) Add($"{sample.Key}.tree", Encoding.UTF8.GetBytes(t));
        _inShard++;
        Written++;
    }

    /// <summary>Adds raw files of one sample (for copying shards or tests that need unusual content).</summary>
    public void WriteFiles(string key, IEnumerable<(string Extension, byte[] Bytes)> files)
    {
        if (_tar is null || _inShard == _perShard) Open();
        foreach (var (ext, bytes) in files) Add($"{key}.{ext}", bytes);
        _inShard++;
        Written++;
    }

    private void Add(string name, byte[] bytes)
    {
        var entry = new GnuTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes),
            ModificationTime = DateTimeOffset.UnixEpoch };
        _tar!.WriteEntry(entry);
    }

    private void Open()
    {
        Complete();
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{prefix}-{_paths.Count:D5}.tar");
        _file = File.Create(path);
        _tar = new TarWriter(_file, TarEntryFormat.Gnu, leaveOpen: false);
        _paths.Add(path);
        _inShard = 0;
    }

    public void Complete()
    {
        _tar?.Dispose();
        _file?.Dispose();
        _tar = null;
        _file = null;
    }

    public void Dispose() => Complete();
}
