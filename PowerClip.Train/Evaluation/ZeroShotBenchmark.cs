namespace PowerClip.Train.Evaluation;

/// <summary>Zero-shot classification: top-1 and top-5 accuracy (top-1 also over the held-out classes when listed).</summary>
public sealed record ZeroShotResult(int Classes, int Images, int Templates, Proportion Top1, Proportion Top5, Proportion? HeldOutTop1) : IBenchmarkResult
{
    public string Benchmark => "zeroshot";

    public IEnumerable<(string Metric, Proportion Value)> Rows()
    {
        yield return ("top-1", Top1);
        yield return ($"top-{Math.Min(5, Classes)}", Top5);
        if (HeldOutTop1 is not null) yield return ("top-1, held-out classes", HeldOutTop1);
        if (SeenTop1 is not null) yield return ("top-1, seen classes", SeenTop1);
    }

    /// <summary>Top-1 over the classes not listed as held out (when some are): the complement of HeldOutTop1.</summary>
    public Proportion? SeenTop1 { get; init; }
}

/// <summary>
/// Zero-shot classification with prompt-template ensembles (CLIP's protocol): each class's text embedding is
/// the normalised mean of its templates' normalised embeddings; an image's class is the nearest by cosine.
/// Folder layout (what `powerclip data export-benchmarks` writes, ImageFolder-style):
/// classnames.txt (one name per line, in the order of the sorted class folders), templates.txt (lines with
/// "{}" for the class name; default "a photo of a {}."), test/CLASS/*.png|jpg, optional heldout_classes.txt.
/// </summary>
public static class ZeroShotBenchmark
{
    public static readonly string[] DefaultTemplates = ["a photo of a {}."];
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".webp"];

    public static bool Present(string dir) => File.Exists(Path.Combine(dir, "classnames.txt"));

    public static ZeroShotResult Run(IEmbeddingEncoder encoder, string dir)
    {
        BenchmarkFiles.RequireDirectory(dir);
        var names = BenchmarkFiles.Lines(Path.Combine(dir, "classnames.txt"));
        var templatesFile = Path.Combine(dir, "templates.txt");
        var templates = File.Exists(templatesFile) ? BenchmarkFiles.Lines(templatesFile) : DefaultTemplates;
        foreach (var t in templates)
            if (!t.Contains("{}", StringComparison.Ordinal)) throw new BenchmarkDataException($"{templatesFile}: template '{t}' has no {{}} for the class name");
        var root = Path.Combine(dir, "test");
        BenchmarkFiles.RequireDirectory(root);
        var folders = Directory.GetDirectories(root).OrderBy(f => f, StringComparer.Ordinal).ToArray();
        if (folders.Length != names.Length)
            throw new BenchmarkDataException($"{dir}: classnames.txt names {names.Length} classes but test/ has {folders.Length} class folders");
        var images = new List<(string Path, int Label)>();
        for (var k = 0; k < folders.Length; k++)
            images.AddRange(Directory.GetFiles(folders[k]).Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .OrderBy(f => f, StringComparer.Ordinal).Select(f => (f, k)));
        if (images.Count == 0) throw new BenchmarkDataException($"{root}: no images in the class folders");

        var prompts = names.SelectMany(n => templates.Select(t => t.Replace("{}", n, StringComparison.Ordinal))).ToArray();
        var promptEmbeds = encoder.EncodeTexts(prompts);
        var classEmbeds = Enumerable.Range(0, names.Length).Select(k => MeanDirection(promptEmbeds.Skip(k * templates.Length).Take(templates.Length))).ToArray();
        var imageEmbeds = encoder.EncodeImages(images.Select(i => i.Path).ToArray());
        var scores = EncoderExtensions.CosineMatrix(imageEmbeds, classEmbeds);
        var labels = images.Select(i => i.Label).ToArray();
        var k5 = Math.Min(5, names.Length);
        var heldOutFile = Path.Combine(dir, "heldout_classes.txt");
        Proportion? heldOut = null, seen = null;
        var top1 = Metrics.TopKHits(scores, labels, 1);
        if (File.Exists(heldOutFile))
        {
            var held = BenchmarkFiles.Lines(heldOutFile, allowEmpty: true).ToHashSet(StringComparer.Ordinal);
            var rows = Enumerable.Range(0, labels.Length).Where(i => held.Contains(names[labels[i]])).ToArray();
            if (rows.Length > 0) heldOut = Proportion.Count(rows.Select(i => top1[i]));
            var others = Enumerable.Range(0, labels.Length).Where(i => !held.Contains(names[labels[i]])).ToArray();
            if (rows.Length > 0 && others.Length > 0) seen = Proportion.Count(others.Select(i => top1[i]));
        }
        return new ZeroShotResult(names.Length, images.Count, templates.Length,
            Proportion.Count(top1), Proportion.Count(Metrics.TopKHits(scores, labels, k5)), heldOut)
        {
            SeenTop1 = seen,
        };
    }

    /// <summary>The ensemble's class embedding: the mean of unit vectors, renormalised (CLIP's zero-shot classifier).</summary>
    public static float[] MeanDirection(IEnumerable<float[]> vectors)
    {
        var list = vectors.ToList();
        var mean = new double[list[0].Length];
        foreach (var v in list)
        {
            var norm = Math.Sqrt(v.Sum(x => (double)x * x));
            for (var i = 0; i < v.Length; i++) mean[i] += norm == 0 ? 0 : v[i] / norm;
        }
        var n = Math.Sqrt(mean.Sum(x => x * x));
        return mean.Select(x => (float)(n == 0 ? 0 : x / n)).ToArray();
    }
}
