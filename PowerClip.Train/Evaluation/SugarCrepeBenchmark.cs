namespace PowerClip.Train.Evaluation;

/// <summary>SugarCrepe: accuracy per category (the true caption must outscore its hard negative).</summary>
public sealed record SugarCrepeResult(SortedDictionary<string, Proportion> Categories) : IBenchmarkResult
{
    public string Benchmark => "sugarcrepe";

    /// <summary>{category: accuracy} — the file `powerclip eval sugarcrepe --out` writes.</summary>
    public SortedDictionary<string, double> Accuracies() => new(Categories.ToDictionary(kv => kv.Key, kv => kv.Value.Accuracy), StringComparer.Ordinal);

    public IEnumerable<(string Metric, Proportion Value)> Rows() => Categories.Select(kv => (kv.Key, kv.Value));
}

/// <summary>
/// SugarCrepe's format: DIR/*.json, one file per category (add_att, replace_rel, swap_obj, …), each
/// {"id": {"filename", "caption", "negative_caption"}}; images under DIR/images (or another image folder,
/// e.g. COCO val2017 for the real benchmark). A tie counts as a miss.
/// </summary>
public static class SugarCrepeBenchmark
{
    public static bool Present(string dir) => Directory.Exists(dir) && Directory.GetFiles(dir, "*.json").Length > 0;

    public static SugarCrepeResult Run(IEmbeddingEncoder encoder, string dir, string? imageDir = null)
    {
        BenchmarkFiles.RequireDirectory(dir);
        imageDir ??= Path.Combine(dir, "images");
        var files = Directory.GetFiles(dir, "*.json").OrderBy(f => f, StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new BenchmarkDataException($"{dir}: no category JSON files (add_att.json, replace_rel.json, …)");
        var items = files.ToDictionary(f => Path.GetFileNameWithoutExtension(f), f => Read(f, imageDir));
        var all = items.Values.SelectMany(x => x).ToArray();
        var images = encoder.EncodeImagesOnce(all.Select(i => i.Image));
        var texts = encoder.EncodeTextsOnce(all.SelectMany(i => new[] { i.Positive, i.Negative }));
        var result = new SortedDictionary<string, Proportion>(StringComparer.Ordinal);
        foreach (var (category, list) in items)
            result[category] = Proportion.Count(list.Select(i =>
                EncoderExtensions.Cosine(images[i.Image], texts[i.Positive]) > EncoderExtensions.Cosine(images[i.Image], texts[i.Negative])));
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
            list.Add((image, BenchmarkFiles.Text(item, "caption", where), BenchmarkFiles.Text(item, "negative_caption", where)));
        }
        return list;
    }
}
