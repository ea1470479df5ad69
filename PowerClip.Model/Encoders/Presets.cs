using System.Reflection;
using System.Text.Json.Nodes;

namespace PowerClip.Model;

/// <summary>
/// Model presets as JSON files (embedded from Presets/*.json; the layout mirrors open_clip's model configs:
/// embed_dim, vision_cfg, text_cfg). <c>tiny</c> and <c>small</c> train on a CPU; <c>vit-b-16</c> is the paper's.
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
            if (!File.Exists(nameOrPath)) throw new FileNotFoundException($"model config file not found: {nameOrPath}", nameOrPath);
            return Parse(File.ReadAllText(nameOrPath), nameOrPath);
        }
        using var stream = typeof(Presets).Assembly.GetManifestResourceStream(Prefix + nameOrPath + ".json")
            ?? throw new ArgumentException($"unknown model preset '{nameOrPath}': expected one of {string.Join(", ", Names)} or a .json file");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), nameOrPath);
    }

    /// <summary>Parses a config JSON; every missing or malformed key is reported by name.</summary>
    public static ClipConfig Parse(string json, string source)
    {
        var root = JsonNode.Parse(json) as JsonObject ?? throw new ArgumentException($"model config {source}: not a JSON object");
        var v = Obj(root, "vision_cfg", source);
        var t = Obj(root, "text_cfg", source);
        var vision = new VisionConfig(Int(v, "image_size", source), Int(v, "patch_size", source), Int(v, "width", source),
            Int(v, "layers", source), Int(v, "heads", source), Dbl(v, "mlp_ratio", source, 4.0), Pool(v, source));
        var text = new TextConfig(Int(t, "context_length", source), Int(t, "vocab_size", source), Int(t, "width", source),
            Int(t, "layers", source), Int(t, "heads", source), Dbl(t, "mlp_ratio", source, 4.0), Pool(t, source),
            t["pad_id"] is null ? 0 : Int(t, "pad_id", source));
        var name = root["name"]?.GetValue<string>() ?? Path.GetFileNameWithoutExtension(source);
        return new ClipConfig(name, Int(root, "embed_dim", source), vision, text,
            Dbl(root, "init_logit_scale", source, 1 / 0.07), Dbl(root, "max_logit_scale", source, 100.0)).Validate();
    }

    private static JsonObject Obj(JsonObject o, string key, string source) =>
        o[key] as JsonObject ?? throw new ArgumentException($"model config {source}: missing object '{key}'");

    private static int Int(JsonObject o, string key, string source) =>
        o[key] is JsonValue x && x.TryGetValue<int>(out var i) ? i : throw new ArgumentException($"model config {source}: '{key}' must be an integer");

    private static double Dbl(JsonObject o, string key, string source, double fallback) =>
        o[key] is null ? fallback
        : o[key] is JsonValue x && x.TryGetValue<double>(out var d) ? d : throw new ArgumentException($"model config {source}: '{key}' must be a number");

    private static Pooling Pool(JsonObject o, string source) =>
        (o["pool_type"]?.GetValue<string>() ?? "avg") switch
        {
            "avg" or "mean" => Pooling.Average,
            "tok" or "argmax" => Pooling.Token,
            var other => throw new ArgumentException($"model config {source}: pool_type '{other}' is not avg|mean|tok|argmax"),
        };
}
