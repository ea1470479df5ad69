namespace PowerClip.Train.Evaluation;

/// <summary>Winoground's three scores, overall and per tag.</summary>
public sealed record WinogroundScores(Proportion Text, Proportion Image, Proportion Group);

public sealed record WinogroundResult(WinogroundScores All,
    SortedDictionary<string, WinogroundScores> ByTag) : IBenchmarkResult
{
    public string Benchmark => "winoground";

    public IEnumerable<(string Metric, Proportion Value)> Rows()
    {
        IEnumerable<(string, Proportion)> Of(string prefix, WinogroundScores s) =>
            [($"{prefix}text", s.Text), ($"{prefix}image", s.Image), ($"{prefix}group", s.Group)];
        return Of("", All).Concat(ByTag.SelectMany(kv => Of(kv.Key + ": ", kv.Value)));
    }
}

/// <summary>
/// Winoground's format as published (huggingface.co/datasets/facebook/winoground): data/examples.jsonl (one JSON
/// object per line: id, image (unused), image_0, image_1, caption_0, caption_1, tag, secondary_tag, num_main_preds,
/// collapsed_tag) and data/images.zip unpacked to data/images/{image_k}.png. DIR is the repository folder (with
/// data/) or the data folder itself. Text score: each image prefers its own caption (image→text scores); image
/// score: each caption prefers its own image (text→image scores); group: both (Metrics.Winoground). Per tag: the
/// "tag" field (Object, Relation, Both).
/// </summary>
public static class WinogroundBenchmark
{
    public static bool Present(string dir) =>
        File.Exists(Path.Combine(dir, "examples.jsonl")) || File.Exists(Path.Combine(dir, "data", "examples.jsonl"));

    public static WinogroundResult Run(IEmbeddingEncoder encoder, string dir) => Run(new CosineScorer(encoder), dir);

    public static WinogroundResult Run(IPairScorer scorer, string dir)
    {
        BenchmarkFiles.RequireDirectory(dir);
        var published = Path.Combine(dir, "data");
        if (!File.Exists(Path.Combine(dir, "examples.jsonl")) && File.Exists(Path.Combine(published, "examples.jsonl")))
            dir = published;
        var file = Path.Combine(dir, "examples.jsonl");
        var items = new List<(string I0, string I1, string C0, string C1, string Tag)>();
        foreach (var (line, node) in BenchmarkFiles.JsonLines(file))
        {
            var where = $"{file} line {line}";
            var o = BenchmarkFiles.Object(node, where);
            items.Add((ImagePath(dir, BenchmarkFiles.Text(o, "image_0", where), where),
                ImagePath(dir, BenchmarkFiles.Text(o, "image_1", where), where),
                BenchmarkFiles.Text(o, "caption_0", where), BenchmarkFiles.Text(o, "caption_1", where),
                    o["tag"]?.ToString() ?? ""));
        }
        if (items.Count == 0) throw new BenchmarkDataException($"{file}: no examples");
        var pairs = items.SelectMany(i => new[] { (i.I0, i.C0), (i.I0, i.C1), (i.I1, i.C0), (i.I1, i.C1) }).ToArray();
        var i2t = PairScores.Of(scorer, pairs, ScoreDirection.ImageToText);
        var t2i = scorer.Directional ? PairScores.Of(scorer, pairs, ScoreDirection.TextToImage) : i2t;
        var scored = items.Select(i =>
        {
            // The text score compares captions for a fixed image, the image score images for a fixed caption.
            (bool, bool, bool) Of(Dictionary<(string, string), double> s) =>
                Metrics.Winoground(s[(i.I0, i.C0)], s[(i.I0, i.C1)], s[(i.I1, i.C0)], s[(i.I1, i.C1)]);
            var (t, _, _) = Of(i2t);
            var (_, im, _) = Of(t2i);
            return (i.Tag, Score: (Text: t, Image: im, Group: t && im));
        }).ToArray();
        WinogroundScores Of(IEnumerable<(bool Text, bool Image, bool Group)> s)
        {
            var list = s.ToList();
            return new(Proportion.Count(list.Select(x => x.Text)), Proportion.Count(list.Select(x => x.Image)),
                Proportion.Count(list.Select(x => x.Group)));
        }
        var byTag = new SortedDictionary<string, WinogroundScores>(StringComparer.Ordinal);
        foreach (var g in scored.Where(s => s.Tag.Length > 0).GroupBy(s => s.Tag)) byTag[g.Key] =
            Of(g.Select(x => x.Score));
        return new WinogroundResult(Of(scored.Select(x => x.Score)), byTag);
    }

    /// <summary>Winoground names images without extension; the export and the public release use .png.</summary>
    private static string ImagePath(string dir, string name, string where)
    {
        foreach (var candidate in new[] { name, name + ".png", name + ".jpg" })
        {
            var path = Path.Combine(dir, "images", candidate);
            if (File.Exists(path)) return path;
        }
        throw new BenchmarkDataException($"{where}: image not found: {Path.Combine(dir, "images", name)}.png");
    }
}
