namespace PowerClip.Train.Evaluation;

/// <summary>ARO: accuracy per test file (visual_genome_relation, visual_genome_attribution, …).</summary>
public sealed record AroResult(SortedDictionary<string, Proportion> Tests) : IBenchmarkResult
{
    public string Benchmark => "aro";

    public IEnumerable<(string Metric, Proportion Value)> Rows() => Tests.Select(kv => (kv.Key, kv.Value));
}

/// <summary>
/// ARO's order tests in its JSON form: DIR/visual_genome_relation.json and/or visual_genome_attribution.json,
/// each an array of {"image_path", "true_caption", "false_caption"}, image paths relative to DIR. The true
/// caption must outscore the false one (a tie is a miss). The real VG files also carry a bounding box that
/// ARO crops to; this reader uses the whole image.
/// </summary>
public static class AroBenchmark
{
    public static readonly string[] TestFiles = ["visual_genome_relation.json", "visual_genome_attribution.json"];

    public static bool Present(string dir) => TestFiles.Any(f => File.Exists(Path.Combine(dir, f)));

    public static AroResult Run(IEmbeddingEncoder encoder, string dir)
    {
        BenchmarkFiles.RequireDirectory(dir);
        var files = TestFiles.Select(f => Path.Combine(dir, f)).Where(File.Exists).ToArray();
        if (files.Length == 0) throw new BenchmarkDataException($"{dir}: none of {string.Join(", ", TestFiles)}");
        var tests = files.ToDictionary(f => Path.GetFileNameWithoutExtension(f), f => Read(f, dir));
        var all = tests.Values.SelectMany(x => x).ToArray();
        var images = encoder.EncodeImagesOnce(all.Select(i => i.Image));
        var texts = encoder.EncodeTextsOnce(all.SelectMany(i => new[] { i.True, i.False }));
        var result = new SortedDictionary<string, Proportion>(StringComparer.Ordinal);
        foreach (var (name, list) in tests)
            result[name] = Proportion.Count(list.Select(i =>
                EncoderExtensions.Cosine(images[i.Image], texts[i.True]) > EncoderExtensions.Cosine(images[i.Image], texts[i.False])));
        return new AroResult(result);
    }

    private static List<(string Image, string True, string False)> Read(string file, string dir)
    {
        var array = BenchmarkFiles.Array(BenchmarkFiles.Json(file), file);
        if (array.Count == 0) throw new BenchmarkDataException($"{file}: no items");
        var list = new List<(string, string, string)>();
        for (var k = 0; k < array.Count; k++)
        {
            var where = $"{file} item {k}";
            var item = BenchmarkFiles.Object(array[k] ?? throw new BenchmarkDataException($"{where}: null"), where);
            var image = Path.Combine(dir, BenchmarkFiles.Text(item, "image_path", where));
            if (!File.Exists(image)) throw new BenchmarkDataException($"{where}: image not found: {image}");
            list.Add((image, BenchmarkFiles.Text(item, "true_caption", where), BenchmarkFiles.Text(item, "false_caption", where)));
        }
        return list;
    }
}
