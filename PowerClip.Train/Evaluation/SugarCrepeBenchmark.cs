namespace PowerClip.Train.Evaluation;

/// <summary>SugarCrepe: accuracy per category (the true caption must outscore its hard negative).</summary>
public sealed record SugarCrepeResult(SortedDictionary<string, Proportion> Categories) : IBenchmarkResult
{
    public string Benchmark => "sugarcrepe";

    /// <summary>{category: accuracy} — the file `powerclip eval sugarcrepe --out` writes.</summary>
    public SortedDictionary<string, double> Accuracies() =>
        new(Categories.ToDictionary(kv => kv.Key, kv => kv.Value.Accuracy), StringComparer.Ordinal);

    public IEnumerable<(string Metric, Proportion Value)> Rows() => Categories.Select(kv => (kv.Key, kv.Value));
}

/// <summary>
/// SugarCrepe's format (RAIVNLab/sugar-crepe, data/*.json): one file per category, {add_att, add_obj, replace_att,
/// replace_obj, replace_rel, swap_att, swap_obj}.json, each {"id": {"filename", "caption", "negative_caption"}}; images
/// are COCO val2017, under DIR/images (this project's export), DIR/val2017 (CLIP_benchmark's sugar_crepe folder) or
/// another folder given. When any of the seven official files is present only those are read, else every *.json.
/// The caption must outscore its negative for the image (a tie is a miss, as the official `pos_score > neg_score`).
/// </summary>
public static class SugarCrepeBenchmark
{
    public static readonly string[] Categories =
        ["add_att", "add_obj", "replace_att", "replace_obj", "replace_rel", "swap_att", "swap_obj"];

    public static bool Present(string dir) => Directory.Exists(dir) && Directory.GetFiles(dir, "*.json").Length > 0;

    /// <summary>The category files: the official seven that exist, else every JSON file.</summary>
    public static string[] Files(string dir)
    {
        var official = Categories.Select(c => Path.Combine(dir, c + ".json")).Where(File.Exists).ToArray();
        return official.Length > 0 ? official
            : Directory.GetFiles(dir, "*.json").OrderBy(f => f, StringComparer.Ordinal).ToArray();
    }

    public static SugarCrepeResult Run(IEmbeddingEncoder encoder, string dir, string? imageDir = null) =>
        Run(new CosineScorer(encoder), dir, imageDir);

    public static SugarCrepeResult Run(IPairScorer scorer, string dir, string? imageDir = null)
    {
        BenchmarkFiles.RequireDirectory(dir);
        imageDir ??= Directory.Exists(Path.Combine(dir, "images")) || !Directory.Exists(Path.Combine(dir, "val2017"))
            ? Path.Combine(dir, "images") : Path.Combine(dir, "val2017");
        var files = Files(dir);
        if (files.Length == 0) throw new BenchmarkDataException(
            $"{dir}: no category JSON files (add_att.json, replace_rel.json, …)");
        var items = files.ToDictionary(f => Path.GetFileNameWithoutExtension(f), f => Read(f, imageDir));
        var all = items.Values.SelectMany(x => x).ToArray();
        var scores = PairScores.Of(scorer, all.SelectMany(i => new[] { (i.Image, i.Positive), (i.Image, i.Negative) }));
        var result = new SortedDictionary<string, Proportion>(StringComparer.Ordinal);
        foreach (var (category, list) in items)
            result[category] = Proportion.Count(list.Select(i =>
                scores[(i.Image, i.Positive)] > scores[(i.Image, i.Negative)]));
        return new SugarCrepeResult(result);
    }

    private static List<(string Image, string Positive, string Negative)> Read(string file, string imageDir)
    {
        var json = BenchmarkFiles.Object(BenchmarkFiles.Json(file), file);
        if (json.Count == 0) throw new BenchmarkDataException($"{file}: no items");
        var list = new List<(string, string, string)>();
        foreach (var (id, node) in json)
        {
            var where = $"{file} item '{id}'";
            var item = BenchmarkFiles.Object(node ?? throw new BenchmarkDataException($"{where}: null"), where);
            var image = Path.Combine(imageDir, BenchmarkFiles.Text(item, "filename", where));
            if (!File.Exists(image)) throw new BenchmarkDataException($"{where}: image not found: {image}");
            list.Add((image, BenchmarkFiles.Text(item, "caption", where),
                BenchmarkFiles.Text(item, "negative_caption", where)));
        }
        return list;
    }
}
