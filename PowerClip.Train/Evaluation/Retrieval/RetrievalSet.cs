namespace PowerClip.Train.Evaluation;

/// <summary>An image–text retrieval test set: images, their captions, and which image each caption describes.</summary>
public sealed class RetrievalSet(string layout)
{
    public string Layout { get; } = layout;
    public List<string> Images { get; } = [];
    public List<string> Captions { get; } = [];
    public List<int> CaptionImage { get; } = [];
    public List<IReadOnlyCollection<int>> ImageCaptions { get; } = [];

    public void Add(string image, IReadOnlyList<string> captions, string where)
    {
        if (captions.Count == 0) throw new BenchmarkDataException($"{where}: no captions");
        ImageCaptions.Add(Enumerable.Range(Captions.Count, captions.Count).ToArray());
        foreach (var c in captions) { Captions.Add(c); CaptionImage.Add(Images.Count); }
        Images.Add(image);
    }
}

/// <summary>
/// Reads the retrieval layouts, by the files DIR holds:
/// <list type="bullet">
/// <item>CLIP_benchmark webdataset: dataset_type.txt = "retrieval", test/{0..n-1}.tar with KEY.webp|png|jpg|jpeg and
/// KEY.txt (the image's captions, one per line);</item>
/// <item>Karpathy's split file dataset_*.json (dataset_coco.json, dataset_flickr8k.json, dataset_flickr30k.json, this
/// project's export): {"images": [{"filepath", "filename", "split", "sentences": [{"raw"}]}]}, images at
/// DIR/filepath/filename, the "test" split when there is one;</item>
/// <item>CLIP_benchmark's mscoco_captions: coco_test_karpathy.json in COCO's caption format ({"images": [{"id",
/// "file_name"}], "annotations": [{"image_id", "caption"}]}), images under DIR/val2014;</item>
/// <item>CLIP_benchmark's flickr8k / flickr30k: flickr8k_test_karpathy.txt / flickr30k_test_karpathy.txt (a header
/// line, then "NAME.jpg,caption" per line), images in DIR.</item>
/// </list>
/// </summary>
public static class RetrievalReader
{
    public static bool Present(string dir) => Directory.Exists(dir) && Detect(dir) is not null;

    public static RetrievalSet Read(string dir)
    {
        BenchmarkFiles.RequireDirectory(dir);
        return Detect(dir) switch
        {
            "webdataset" => WebDataset(dir),
            "karpathy" => Karpathy(Single(dir, "dataset_*.json")),
            "coco" => Coco(Single(dir, "coco_test_karpathy.json"), dir),
            "flickr" => Flickr(Single(dir, "*_test_karpathy.txt"), dir),
            _ => throw new BenchmarkDataException($"{dir}: no retrieval layout found (dataset_type.txt + test/*.tar, " +
                "dataset_*.json, coco_test_karpathy.json or *_test_karpathy.txt)"),
        };
    }

    private static string? Detect(string dir)
    {
        var type = Path.Combine(dir, "dataset_type.txt");
        if (File.Exists(type) && File.ReadAllText(type).Trim().Equals("retrieval", StringComparison.OrdinalIgnoreCase))
            return "webdataset";
        if (Directory.GetFiles(dir, "dataset_*.json").Length > 0) return "karpathy";
        if (File.Exists(Path.Combine(dir, "coco_test_karpathy.json"))) return "coco";
        return Directory.GetFiles(dir, "*_test_karpathy.txt").Length > 0 ? "flickr" : null;
    }

    private static string Single(string dir, string pattern)
    {
        var files = Directory.GetFiles(dir, pattern);
        return files.Length == 1 ? files[0]
            : throw new BenchmarkDataException($"{dir}: expected one {pattern}, found {files.Length}");
    }

    private static RetrievalSet WebDataset(string dir)
    {
        var set = new RetrievalSet("webdataset");
        foreach (var shard in ClassificationReader.Shards(Path.Combine(dir, "test")))
            foreach (var s in TarShards.Samples(shard))
            {
                var where = $"{shard} sample '{s.Key}'";
                var image = s.ImageMember() ?? throw new BenchmarkDataException(
                    $"{where}: no image ({string.Join(", ", ShardSample.ImageExtensions)})");
                var captions = s.Text("txt").Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0);
                set.Add(BenchmarkImage.InShard(shard, image), captions.ToArray(), where);
            }
        return set;
    }

    private static RetrievalSet Karpathy(string file)
    {
        var dir = Path.GetDirectoryName(file)!;
        var json = BenchmarkFiles.Json(file);
        var entries = BenchmarkFiles.Objects(BenchmarkFiles.Field(json, "images", file), file, "image").ToArray();
        if (entries.Any(e => e.Item["split"]?.ToString() == "test"))
            entries = entries.Where(e => e.Item["split"]?.ToString() == "test").ToArray();
        var set = new RetrievalSet("Karpathy split JSON");
        foreach (var (e, at) in entries)
        {
            var name = BenchmarkFiles.Text(e, "filename", at);
            var where = $"{at} ('{name}')";
            var path = Path.Combine(dir, e["filepath"]?.ToString() ?? "", name);
            if (!File.Exists(path)) throw new BenchmarkDataException($"{where}: image not found: {path}");
            var sentences = BenchmarkFiles.Objects(BenchmarkFiles.Field(e, "sentences", where), where, "sentence");
            set.Add(path, sentences.Select(x => BenchmarkFiles.Text(x.Item, "raw", x.Where)).ToArray(), where);
        }
        return Checked(set, file);
    }

    /// <summary>COCO's caption format as torchvision's CocoCaptions reads it: images by id.</summary>
    private static RetrievalSet Coco(string file, string dir)
    {
        var json = BenchmarkFiles.Json(file);
        var captions = new Dictionary<long, List<string>>();
        var annotations = BenchmarkFiles.Field(json, "annotations", file);
        foreach (var (a, where) in BenchmarkFiles.Objects(annotations, file, "annotation"))
        {
            var id = BenchmarkFiles.Integer(a, "image_id", where);
            if (!captions.TryGetValue(id, out var list)) captions[id] = list = [];
            list.Add(BenchmarkFiles.Text(a, "caption", where));
        }
        var set = new RetrievalSet("COCO captions JSON (CLIP_benchmark mscoco_captions)");
        var root = Directory.Exists(Path.Combine(dir, "val2014")) ? Path.Combine(dir, "val2014") : dir;
        var images = BenchmarkFiles.Objects(BenchmarkFiles.Field(json, "images", file), file, "image")
            .Select(e => (Id: BenchmarkFiles.Integer(e.Item, "id", e.Where),
                Name: BenchmarkFiles.Text(e.Item, "file_name", e.Where), e.Where))
            .OrderBy(e => e.Id);
        foreach (var (id, name, at) in images)
        {
            var path = Path.Combine(root, name);
            if (!File.Exists(path)) throw new BenchmarkDataException($"{at} ('{name}'): image not found: {path}");
            set.Add(path, captions.GetValueOrDefault(id) ?? [], $"{at} ('{name}')");
        }
        return Checked(set, file);
    }

    /// <summary>CLIP_benchmark's Flickr reader: skip the header, split lines at ".jpg,", group by image.</summary>
    private static RetrievalSet Flickr(string file, string dir)
    {
        var byImage = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var lines = File.ReadAllLines(file);
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0) continue;
            var cut = line.IndexOf(".jpg,", StringComparison.Ordinal);
            if (cut < 0) throw new BenchmarkDataException($"{file} line {i + 1}: expected 'NAME.jpg,caption'");
            var image = line[..(cut + 4)];
            if (!byImage.TryGetValue(image, out var list)) byImage[image] = list = [];
            list.Add(line[(cut + 5)..]);
        }
        var set = new RetrievalSet("CLIP_benchmark Flickr Karpathy text file");
        foreach (var (image, captions) in byImage)
        {
            var path = Path.Combine(dir, image);
            var where = $"{file} image '{image}'";
            if (!File.Exists(path)) throw new BenchmarkDataException($"{where}: image not found: {path}");
            set.Add(path, captions, where);
        }
        return Checked(set, file);
    }

    private static RetrievalSet Checked(RetrievalSet set, string file) =>
        set.Images.Count > 0 ? set : throw new BenchmarkDataException($"{file}: no images");
}
