namespace PowerClip.Data;

/// <summary>
/// An image folder as a dataset: every image file (by extension) whose caption is in a sibling .txt file of
/// the same name ("cat.jpg" + "cat.txt"), in ordinal name order. Missing captions and bad images are reported.
/// </summary>
public sealed class FolderSource(string dir, StreamOptions options, DataProblems problems) : IRawSampleSource
{
    public IEnumerable<RawSample> Read(int epoch = 0)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"image folder '{dir}' does not exist");
        var loader = new ImageLoader(options.MaxPixels);
        var files = Directory.EnumerateFiles(dir)
            .Where(f => WebDataset.ImageExtensions.Contains(Path.GetExtension(f).TrimStart('.').ToLowerInvariant()))
            .Order(StringComparer.Ordinal).ToArray();
        return files.Select((f, i) => (Path: f, Key: i.ToString("D9"))).ParallelMap(f =>
        {
            var txt = Path.ChangeExtension(f.Path, ".txt");
            if (!File.Exists(txt)) { problems.Report($"{f.Key} ({Path.GetFileName(f.Path)})", "missing caption",
                $"no {Path.GetFileName(txt)}"); return null; }
            var caption = File.ReadAllText(txt).Trim();
            if (caption.Length == 0) { problems.Report($"{f.Key} ({Path.GetFileName(f.Path)})", "missing caption",
                $"{Path.GetFileName(txt)} is empty"); return null; }
            var image = loader.Load(f.Path);
            if (!image.Ok) { problems.Report($"{f.Key} ({Path.GetFileName(f.Path)})", image.Reason,
                image.Detail); return null; }
            return new RawSample(f.Key, caption, image.Image!);
        }, options.Threads).Shuffle(options.ShuffleBuffer, new Random(Seeds.EpochOrder(options.Seed, epoch)));
    }
}
