using System.Text.Json.Nodes;

namespace PowerClip.Train.Evaluation;

/// <summary>
/// CLIP_benchmark's class names, prompt templates and ImageNet WordNet ids (embedded copies, see
/// Metadata/README.md), and its dataset naming: a folder "wds_vtab-cifar10" is the dataset "vtab/cifar10".
/// </summary>
public static class ZeroShotMetadata
{
    /// <summary>Datasets whose classes are ImageNet-1k's (or, for -A, -R, -O, its 200-class subsets), as CLIP_benchmark
    /// builds them.</summary>
    public static readonly string[] ImageNetFamily =
    [
        "imagenet1k", "imagenet1k-unverified", "imagenetv2", "imagenet_sketch", "imagenet-w",
        "imagenet-a", "imagenet-r", "imagenet-o",
    ];

    private static readonly Lazy<JsonObject> ClassNamesJson = new(() => Load("en_classnames.json"));
    private static readonly Lazy<JsonObject> TemplatesJson =
        new(() => Load("en_zeroshot_classification_templates.json"));
    private static readonly Lazy<JsonObject> WordNetJson = new(() => Load("imagenet_wordnet_ids.json"));

    /// <summary>CLIP_benchmark's dataset name for a folder or name: "wds_" dropped, "vtab-x" read as
    /// "vtab/x".</summary>
    public static string Canonical(string name)
    {
        var n = name.Trim().TrimEnd('/');
        if (n.StartsWith("wds_", StringComparison.Ordinal) || n.StartsWith("wds/", StringComparison.Ordinal))
            n = n[4..];
        if (n.StartsWith("vtab-", StringComparison.Ordinal)) n = "vtab/" + n[5..];
        return n;
    }

    /// <summary>The keys CLIP_benchmark looks up for a dataset: its name, then the name without "vtab/" (or
    /// "tfds/").</summary>
    public static string[] Keys(string name)
    {
        var slash = name.IndexOf('/');
        return slash < 0 ? [name] : [name, name[(slash + 1)..]];
    }

    /// <summary>The WordNet ids in label order of an ImageNet-family dataset (200 for -A, -R, -O; else the 1000); null
    /// for others.</summary>
    public static string[]? WordNetIds(string name) =>
        !ImageNetFamily.Contains(name) ? null
            : Strings(WordNetJson.Value[name is "imagenet-a" or "imagenet-r" or "imagenet-o" ? name : "imagenet1k"]);

    /// <summary>Built-in class names: ImageNet's (subset for -A, -R, -O) for the ImageNet family, else
    /// en_classnames.json's; null when none.</summary>
    public static string[]? ClassNames(string name)
    {
        if (WordNetIds(name) is { } wnids)
        {
            var all = Strings(WordNetJson.Value["imagenet1k"])!;
            var names = Strings(ClassNamesJson.Value["imagenet1k"])!;
            var keep = wnids.ToHashSet(StringComparer.Ordinal);
            return all.Select((w, i) => (w, i)).Where(x => keep.Contains(x.w)).Select(x => names[x.i]).ToArray();
        }
        return Keys(name).Select(k => Strings(ClassNamesJson.Value[k])).FirstOrDefault(v => v is not null);
    }

    /// <summary>Built-in templates ({c} for the class name): the dataset's, else ImageNet's 80, as CLIP_benchmark falls
    /// back.</summary>
    public static string[] Templates(string name) =>
        Keys(name).Append("imagenet1k").Select(k => Strings(TemplatesJson.Value[k])).First(v => v is not null)!;

    private static string[]? Strings(JsonNode? node) => node?.AsArray().Select(x => x!.GetValue<string>()).ToArray();

    private static JsonObject Load(string file)
    {
        var resource = "ZeroShot." + file;
        using var stream = typeof(ZeroShotMetadata).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded resource {resource} missing from the build");
        return JsonNode.Parse(stream)!.AsObject();
    }
}
