using System.Text.Json.Nodes;

namespace PowerClip.Train.Evaluation;

/// <summary>
/// One ARO test: micro accuracy (every item counts once; precision@1 for the order tests), and for VG-Relation and
/// VG-Attribution the official macro accuracy over groups (relations / attribute pairs) with its rule.
/// </summary>
public sealed record AroTest(
    Proportion Micro, double? Macro, int MacroGroups, string? MacroRule, SortedDictionary<string, Proportion>? Groups);

/// <summary>ARO's results per test (VG-Relation, VG-Attribution, COCO-Order, Flickr30k-Order).</summary>
public sealed record AroResult(SortedDictionary<string, AroTest> Tests) : IBenchmarkResult
{
    public string Benchmark => "aro";

    public IEnumerable<(string Metric, Proportion Value)> Rows() =>
        Tests.Select(kv => (kv.Key + (kv.Value.Groups is null ? ": precision@1" : ": micro accuracy"), kv.Value.Micro));

    public IEnumerable<ResultLine> Lines()
    {
        foreach (var (name, t) in Tests)
        {
            if (t.Macro is { } macro)
                yield return new ResultLine($"{name}: macro accuracy (official)", macro, t.MacroGroups);
            var micro = t.Groups is null ? $"{name}: precision@1 (official)" : $"{name}: micro accuracy";
            yield return ResultLine.Of(micro, t.Micro);
        }
    }
}

/// <summary>
/// ARO as its official code reads it (mertyg/vision-language-models-are-bows, dataset_zoo/aro_datasets.py):
/// DIR/visual_genome_relation.json and DIR/visual_genome_attribution.json, arrays of items with image_path (under
/// DIR/images), bbox_x, bbox_y, bbox_w, bbox_h (the image is cropped to this box before preprocessing, as
/// image.crop((x, y, x + w, y + h))), true_caption, false_caption, and relation_name (VG-Relation) or attributes
/// (VG-Attribution, two attribute words). An item is right when the true caption outscores the false one (a tie is
/// wrong: the official argmax over [false, true] picks the false caption). Macro accuracy: <see cref="AroMacro"/>.
/// COCO-Order and Flickr30k-Order: <see cref="AroOrder"/>.
/// </summary>
public static class AroBenchmark
{
    public static readonly string[] TestFiles = ["visual_genome_relation.json", "visual_genome_attribution.json"];

    private static IEnumerable<string> AllFiles => TestFiles.Concat(AroOrder.Files.Select(f => f.File));

    public static bool Present(string dir) => AllFiles.Any(f => File.Exists(Path.Combine(dir, f)));

    public static AroResult Run(IEmbeddingEncoder encoder, string dir) => Run(new CosineScorer(encoder), dir);

    /// <summary>Every ARO test present in DIR; <paramref name="seed"/> drives the order tests' perturbations.</summary>
    public static AroResult Run(IPairScorer scorer, string dir, int seed = 0)
    {
        BenchmarkFiles.RequireDirectory(dir);
        if (!Present(dir)) throw new BenchmarkDataException($"{dir}: none of {string.Join(", ", AllFiles)}");
        var result = new SortedDictionary<string, AroTest>(StringComparer.Ordinal);
        foreach (var file in TestFiles.Select(f => Path.Combine(dir, f)).Where(File.Exists))
            result[Path.GetFileNameWithoutExtension(file)] = Vg(scorer, file, dir);
        foreach (var (file, test) in AroOrder.Files.Where(f => File.Exists(Path.Combine(dir, f.File))))
            result[test] = AroOrder.Run(scorer, Path.Combine(dir, file), seed);
        return new AroResult(result);
    }

    private static AroTest Vg(IPairScorer scorer, string file, string dir)
    {
        var relation = Path.GetFileName(file) == TestFiles[0];
        var items = Read(file, dir, relation);
        var scores = PairScores.Of(scorer, items.SelectMany(i => new[] { (i.Image, i.True), (i.Image, i.False) }));
        var hits = items.Select(i => (i.Group, Hit: scores[(i.Image, i.True)] > scores[(i.Image, i.False)])).ToArray();
        var groups = new SortedDictionary<string, Proportion>(StringComparer.Ordinal);
        foreach (var g in hits.GroupBy(h => h.Group)) groups[g.Key] = Proportion.Count(g.Select(h => h.Hit));
        var kept = relation ? groups.Where(g => !AroMacro.SymmetricRelations.Contains(g.Key)).ToArray()
            : groups.Where(g => g.Value.Total >= AroMacro.MinAttributePairCount).ToArray();
        var rule = relation
            ? $"mean over relations without the {AroMacro.SymmetricRelations.Count} symmetric ones of ARO's notebook"
            : $"mean over attribute pairs with at least {AroMacro.MinAttributePairCount} items";
        var macro = kept.Length == 0 ? (double?)null : kept.Average(g => g.Value.Accuracy);
        return new AroTest(Proportion.Count(hits.Select(h => h.Hit)), macro, kept.Length, rule, groups);
    }

    private static List<(string Image, string True, string False, string Group)> Read(
        string file, string dir, bool relation)
    {
        var list = new List<(string, string, string, string)>();
        foreach (var (item, where) in BenchmarkFiles.Objects(BenchmarkFiles.Json(file), file, "item"))
        {
            var image = Path.Combine(dir, "images", BenchmarkFiles.Text(item, "image_path", where));
            if (!File.Exists(image)) throw new BenchmarkDataException($"{where}: image not found: {image}");
            double N(string field) => BenchmarkFiles.Number(item, field, where);
            var box = CropBox.FromXywh(N("bbox_x"), N("bbox_y"), N("bbox_w"), N("bbox_h"));
            if (box.Right <= box.Left || box.Lower <= box.Upper)
                throw new BenchmarkDataException($"{where}: empty bounding box ({box})");
            var group = relation ? BenchmarkFiles.Text(item, "relation_name", where) : Attributes(item, where);
            var t = BenchmarkFiles.Text(item, "true_caption", where);
            list.Add((BenchmarkImage.Cropped(image, box), t, BenchmarkFiles.Text(item, "false_caption", where), group));
        }
        if (list.Count == 0) throw new BenchmarkDataException($"{file}: no items");
        return list;
    }

    /// <summary>VG-Attribution's group: f"{attributes[0]}_{attributes[1]}", as the official code names it.</summary>
    private static string Attributes(JsonObject item, string where)
    {
        var array = BenchmarkFiles.Array(BenchmarkFiles.Field(item, "attributes", where), where + " attributes");
        if (array.Count < 2)
            throw new BenchmarkDataException($"{where}: field 'attributes' needs two attributes, has {array.Count}");
        return $"{Word(array[0], where)}_{Word(array[1], where)}";
    }

    private static string Word(JsonNode? node, string where) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s
            : throw new BenchmarkDataException($"{where}: field 'attributes' holds a non-string");
}
