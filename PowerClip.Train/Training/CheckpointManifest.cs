using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PowerClip.Train.Training;

/// <summary>
/// manifest.json, the last file written into a checkpoint: every other file's name, size and SHA-256.
/// A checkpoint is intact when its manifest parses and every file it lists has that size and hash
/// (the same digests `sha256sum` prints):
/// <code>{"format": 1, "step": 40, "files": [{"name": "model.safetensors", "bytes": 6614020, "sha256": "9f…"}, …]}
/// </code>
/// </summary>
public static class CheckpointManifest
{
    public const string FileName = RunFolder.ManifestFile;
    public const int Format = 1;

    /// <summary>
    /// Hashes the (already synced) files of <paramref name="directory"/>; writes and syncs the manifest.
    /// </summary>
    public static void Write(string directory, int step)
    {
        var files = Directory.GetFiles(directory).Select(Path.GetFileName).OfType<string>()
            .Where(n => n != FileName).Order(StringComparer.Ordinal)
            .Select(n => (JsonNode)new JsonObject
            {
                ["name"] = n,
                ["bytes"] = new FileInfo(Path.Combine(directory, n)).Length,
                ["sha256"] = Sha256(Path.Combine(directory, n)),
            }).ToArray();
        var path = Path.Combine(directory, FileName);
        var manifest = new JsonObject { ["format"] = Format, ["step"] = step, ["files"] = new JsonArray(files) };
        File.WriteAllText(path, manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Durable.SyncFile(path);
    }

    /// <summary>Null when the checkpoint is intact; otherwise what is wrong, in a few words naming the file.</summary>
    public static string? Problem(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return $"{FileName} is missing (the checkpoint was never completed)";
        JsonArray files;
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                       ?? throw new FormatException("not a JSON object");
            if (root["format"]?.GetValue<int>() != Format) throw new FormatException($"format is not {Format}");
            files = root["files"] as JsonArray ?? throw new FormatException("no file list");
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            return $"{FileName} is unreadable ({e.Message})";
        }
        foreach (var entry in files)
        {
            string name;
            long bytes;
            string hash;
            try
            {
                name = entry!["name"]!.GetValue<string>();
                bytes = entry["bytes"]!.GetValue<long>();
                hash = entry["sha256"]!.GetValue<string>();
            }
            catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
            {
                return $"{FileName} has a malformed entry";
            }
            var file = Path.Combine(directory, name);
            if (name.Contains('/') || name.Contains('\\'))
                return $"{FileName} names a file outside the checkpoint ({name})";
            if (!File.Exists(file)) return $"{name} is missing";
            var actual = new FileInfo(file).Length;
            if (actual != bytes) return $"{name} has {actual} bytes, the manifest says {bytes}";
            if (!string.Equals(Sha256(file), hash, StringComparison.OrdinalIgnoreCase))
                return $"{name} does not match its SHA-256";
        }
        return null;
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
