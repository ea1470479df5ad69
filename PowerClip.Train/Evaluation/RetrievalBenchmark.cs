using System.Text.Json.Nodes;

namespace PowerClip.Train.Evaluation;

/// <summary>Recall at 1, 5 and 10 for one direction.</summary>
public sealed record Recalls(Proportion R1, Proportion R5, Proportion R10);

public sealed record RetrievalResult(int Images, int Captions, Recalls ImageToText, Recalls TextToImage) : IBenchmarkResult
{
    public string Benchmark => "retrieval";

    public IEnumerable<(string Metric, Proportion Value)> Rows() =>
    [
        ("image→text R@1", ImageToText.R1), ("image→text R@5", ImageToText.R5), ("image→text R@10", ImageToText.R10),
        ("text→image R@1", TextToImage.R1), ("text→image R@5", TextToImage.R5), ("text→image R@10", TextToImage.R10),
    ];
}

/// <summary>
/// Image–text retrieval in Karpathy's split format (dataset_coco.json, dataset_flickr30k.json, the export's
/// dataset_synthetic.json): {"images": [{"filepath", "filename", "split", "sentences": [{"raw"}]}]}; images at
/// DIR/filepath/filename (filepath may be absent). The "test" split is used when the file has one, else all
/// images. Image→text: a hit when any of the image's captions ranks in the top k; text→image: the caption's image.
/// </summary>
public static class RetrievalBenchmark
{
    public static bool Present(string dir) => Directory.Exists(dir) && Directory.GetFiles(dir, "dataset_*.json").Length > 0;

    public static RetrievalResult Run(IEmbeddingEncoder encoder, string dir)
    {
        BenchmarkFiles.RequireDirectory(dir);
        var files = Directory.GetFiles(dir, "dataset_*.json");
        if (files.Length != 1) throw new BenchmarkDataException($"{dir}: expected one Karpathy file dataset_*.json, found {files.Length}");
        var file = files[0];
        var images = BenchmarkFiles.Array(BenchmarkFiles.Object(BenchmarkFiles.Json(file), file)["images"] ?? throw new BenchmarkDataException($"{file}: missing field 'images'"), file + " images");
        var entries = images.Select((n, k) => BenchmarkFiles.Object(n ?? throw new BenchmarkDataException($"{file} image {k}: null"), $"{file} image {k}")).ToArray();
        if (entries.Any(e => e["split"]?.ToString() == "test")) entries = entries.Where(e => e["split"]?.ToString() == "test").ToArray();
        if (entries.Length == 0) throw new BenchmarkDataException($"{file}: no images");

        var paths = new List<string>();
        var captions = new List<string>();
        var captionImage = new List<int>();
        var imageCaptions = new List<IReadOnlyCollection<int>>();
        foreach (var e in entries)
        {
            var where = $"{file} image '{e["filename"]}'";
            var path = Path.Combine(dir, e["filepath"]?.ToString() ?? "", BenchmarkFiles.Text(e, "filename", where));
            if (!File.Exists(path)) throw new BenchmarkDataException($"{where}: image not found: {path}");
            var sentences = BenchmarkFiles.Array(e["sentences"] ?? throw new BenchmarkDataException($"{where}: missing field 'sentences'"), where);
            if (sentences.Count == 0) throw new BenchmarkDataException($"{where}: no sentences");
            var mine = new List<int>();
            foreach (var s in sentences)
            {
                mine.Add(captions.Count);
                captions.Add(BenchmarkFiles.Text(BenchmarkFiles.Object(s ?? throw new BenchmarkDataException($"{where}: null sentence"), where), "raw", where));
                captionImage.Add(paths.Count);
            }
            imageCaptions.Add(mine);
            paths.Add(path);
        }
        var imageEmbeds = encoder.EncodeImages(paths);
        var textEmbeds = encoder.EncodeTexts(captions);
        var i2t = EncoderExtensions.CosineMatrix(imageEmbeds, textEmbeds);
        var t2i = EncoderExtensions.CosineMatrix(textEmbeds, imageEmbeds);
        var textRelevant = captionImage.Select(i => (IReadOnlyCollection<int>)new[] { i }).ToArray();
        Recalls Of(float[,] scores, IReadOnlyList<IReadOnlyCollection<int>> relevant) => new(
            Proportion.Count(Metrics.RecallHits(scores, relevant, 1)),
            Proportion.Count(Metrics.RecallHits(scores, relevant, 5)),
            Proportion.Count(Metrics.RecallHits(scores, relevant, 10)));
        return new RetrievalResult(paths.Count, captions.Count, Of(i2t, imageCaptions), Of(t2i, textRelevant));
    }
}
