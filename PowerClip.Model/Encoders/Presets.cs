using System.Reflection;

namespace PowerClip.Model;

/// <summary>
/// Model presets as JSON files (embedded from Presets/*.json), in open_clip's model config layout (embed_dim,
/// vision_cfg, text_cfg) and meaning, or any such file, e.g. open_clip's own model_configs/ViT-B-16.json.
/// <c>tiny</c>, <c>small</c> and <c>demo</c> train on a CPU with GPT-2's vocabulary; <c>vit-b-16</c> is the paper's
/// (open_clip's ViT-B-16 shape, CLIP's vocabulary).
/// </summary>
public static class Presets
{
    private const string Prefix = "PowerClip.Model.Presets.";

    /// <summary>Names of the built-in presets.</summary>
    public static IReadOnlyList<string> Names =>
        typeof(Presets).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
            .Select(n => n[Prefix.Length..^5]).Order(StringComparer.Ordinal).ToArray();

    /// <summary>A built-in preset by name, or a JSON file when <paramref name="nameOrPath"/> ends in .json.</summary>
    public static ClipConfig Load(string nameOrPath)
    {
        if (nameOrPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(nameOrPath)) throw new FileNotFoundException($"model config file not found: {nameOrPath}",
                nameOrPath);
            return Parse(File.ReadAllText(nameOrPath), nameOrPath);
        }
        using var stream = typeof(Presets).Assembly.GetManifestResourceStream(Prefix + nameOrPath + ".json")
            ?? throw new ArgumentException($"unknown model preset '{nameOrPath}': expected one of " +
                $"{string.Join(", ", Names)} or a .json file");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), nameOrPath);
    }

    /// <summary>Parses a config JSON with open_clip's meaning (<see cref="ModelConfigJson"/>); errors name the
    /// key.</summary>
    public static ClipConfig Parse(string json, string source) => ModelConfigJson.Parse(json, source);
}
