using System.Globalization;
using System.Text.RegularExpressions;

namespace PowerClip.Train.Evaluation;

/// <summary>A zero-shot test set as read from disk: class names, prompt templates ({c}), labelled images.</summary>
public sealed record ClassificationSet(
    string Name, string Layout, IReadOnlyList<string> ClassNames, IReadOnlyList<string> Templates,
    string TemplateSource, IReadOnlyList<(string Image, int Label)> Samples,
    IReadOnlySet<string>? HeldOutClasses = null);

/// <summary>
/// Reads the zero-shot layouts of CLIP_benchmark (and the export of `powerclip data export-benchmarks`):
/// <list type="bullet">
/// <item>webdataset: DIR/test/{0..n-1}.tar (n from test/nshards.txt, else every test/*.tar), samples
/// KEY.webp|png|jpg|jpeg + KEY.cls (the label, an integer); DIR/classnames.txt;
/// DIR/zeroshot_classification_templates.txt (one template per line, {c} for the class name);
/// DIR/dataset_type.txt, when present, must say classification;</item>
/// <item>image folder (torchvision's ImageFolder as CLIP_benchmark uses it): class folders under DIR/test, DIR/val,
/// DIR/ImageNetV2-matched-frequency or DIR itself, each named by its label index ("0".."999", ImageNetV2), its
/// WordNet id ("n01440764", ImageNet and its variants: the id's position in the dataset's id list) or its class
/// name. Never by sorting the names: "10" sorts before "2".</item>
/// </list>
/// Class names: DIR/classnames.txt, else CLIP_benchmark's built-in names for the dataset. Templates:
/// zeroshot_classification_templates.txt, else templates.txt with {} (this project's earlier exports), else
/// CLIP_benchmark's templates for the dataset (ImageNet's 80 by default).
/// </summary>
public static partial class ClassificationReader
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".webp"];

    [GeneratedRegex("^n[0-9]{8}$")]
    private static partial Regex WordNetId();

    /// <summary>True when DIR holds a zero-shot set in one of the layouts.</summary>
    public static bool Present(string dir) =>
        File.Exists(Path.Combine(dir, "classnames.txt")) || IsWebDataset(dir) || ImageFolderRoot(dir) is not null;

    /// <summary>Reads DIR; <paramref name="name"/> is CLIP_benchmark's dataset name (default: the folder's).</summary>
    public static ClassificationSet Read(string dir, string? name = null)
    {
        BenchmarkFiles.RequireDirectory(dir);
        name = ZeroShotMetadata.Canonical(
            name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir))));
        var names = ClassNames(dir, name);
        var (templates, source) = Templates(dir, name);
        var held = Path.Combine(dir, "heldout_classes.txt");
        var heldOut = File.Exists(held)
            ? BenchmarkFiles.Lines(held, allowEmpty: true).ToHashSet(StringComparer.Ordinal) : null;
        if (IsWebDataset(dir))
        {
            CheckType(dir);
            return new(name, "webdataset", names, templates, source, WebDatasetSamples(dir, names.Count), heldOut);
        }
        var root = ImageFolderRoot(dir) ?? throw new BenchmarkDataException(
            $"{dir}: no zero-shot layout found (test/N.tar shards, or class folders under test/, val/ or the folder)");
        var (samples, kind) = ImageFolderSamples(root, names, ZeroShotMetadata.WordNetIds(name), name);
        return new(name, $"image folder ({kind} folders)", names, templates, source, samples, heldOut);
    }

    private static bool IsWebDataset(string dir)
    {
        var test = Path.Combine(dir, "test");
        return Directory.Exists(test)
            && (File.Exists(Path.Combine(test, "nshards.txt")) || Directory.GetFiles(test, "*.tar").Length > 0);
    }

    private static string? ImageFolderRoot(string dir) =>
        new[] { "test", "val", "ImageNetV2-matched-frequency", "" }.Select(s => Path.Combine(dir, s))
            .FirstOrDefault(d => Directory.Exists(d) && Directory.GetDirectories(d).Length > 0 && !IsWebDataset(dir));

    private static IReadOnlyList<string> ClassNames(string dir, string name)
    {
        var file = Path.Combine(dir, "classnames.txt");
        if (File.Exists(file)) return BenchmarkFiles.Lines(file);
        return ZeroShotMetadata.ClassNames(name) ?? throw new BenchmarkDataException(
            $"{file} not found and CLIP_benchmark has no built-in class names for '{name}' " +
            "(name the dataset with --dataset, or add classnames.txt)");
    }

    private static (string[] Templates, string Source) Templates(string dir, string name)
    {
        var file = Path.Combine(dir, "zeroshot_classification_templates.txt");
        var legacy = Path.Combine(dir, "templates.txt");
        var (templates, source) =
            File.Exists(file) ? (BenchmarkFiles.Lines(file), file)
            : File.Exists(legacy) ? (BenchmarkFiles.Lines(legacy).Select(Braces).ToArray(), legacy)
            : (ZeroShotMetadata.Templates(name), $"CLIP_benchmark's templates for {name}");
        for (var i = 0; i < templates.Length; i++)
            if (!templates[i].Contains("{c}", StringComparison.Ordinal))
                throw new BenchmarkDataException(
                    $"{source} template {i + 1} ('{templates[i]}'): no {{c}} for the class name");
        return (templates, source);
    }

    private static string Braces(string template) => template.Replace("{}", "{c}", StringComparison.Ordinal);

    private static void CheckType(string dir)
    {
        var file = Path.Combine(dir, "dataset_type.txt");
        var type = File.Exists(file) ? File.ReadAllText(file).Trim().ToLowerInvariant() : "classification";
        if (type != "classification")
            throw new BenchmarkDataException($"{file}: dataset type '{type}' is not a single-label classification set" +
                (type == "retrieval" ? " (evaluate it with `powerclip eval retrieval`)" : ""));
    }

    private static List<(string Image, int Label)> WebDatasetSamples(string dir, int classes)
    {
        var samples = new List<(string, int)>();
        foreach (var shard in Shards(Path.Combine(dir, "test")))
            foreach (var s in TarShards.Samples(shard))
            {
                var where = $"{shard} sample '{s.Key}'";
                var image = s.ImageMember() ?? throw new BenchmarkDataException(
                    $"{where}: no image ({string.Join(", ", ShardSample.ImageExtensions)})");
                var text = s.Text("cls").Trim();
                var ok = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var label);
                if (!ok || label >= classes)
                    throw new BenchmarkDataException($"{where}: label '{text}' is not a class index below {classes}");
                samples.Add((BenchmarkImage.InShard(shard, image), label));
            }
        if (samples.Count == 0)
            throw new BenchmarkDataException($"{Path.Combine(dir, "test")}: the shards hold no samples");
        return samples;
    }

    /// <summary>test/0.tar … test/{n-1}.tar, n from nshards.txt (CLIP_benchmark), else all .tar by number.</summary>
    public static string[] Shards(string testDir)
    {
        var count = Path.Combine(testDir, "nshards.txt");
        if (File.Exists(count))
        {
            var text = File.ReadAllText(count).Trim();
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
                throw new BenchmarkDataException($"{count}: '{text}' is not a shard count");
            return Enumerable.Range(0, n)
                .Select(i => BenchmarkFiles.RequireFile(Path.Combine(testDir, $"{i}.tar"))).ToArray();
        }
        return Directory.GetFiles(testDir, "*.tar")
            .OrderBy(f => long.TryParse(Path.GetFileNameWithoutExtension(f), out var k) ? k : long.MaxValue)
            .ThenBy(f => f, StringComparer.Ordinal).ToArray();
    }

    private static (List<(string, int)> Samples, string Kind) ImageFolderSamples(
        string root, IReadOnlyList<string> names, string[]? wnids, string name)
    {
        var folders = Directory.GetDirectories(root).Select(f => Path.GetFileName(f)!)
            .OrderBy(f => f, StringComparer.Ordinal).ToArray();
        var (labels, kind) = FolderLabels(folders, names, wnids, root, name);
        var samples = new List<(string, int)>();
        for (var k = 0; k < folders.Length; k++)
            samples.AddRange(Directory
                .EnumerateFiles(Path.Combine(root, folders[k]), "*", SearchOption.AllDirectories)
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .OrderBy(f => f, StringComparer.Ordinal).Select(f => (f, labels[k])));
        if (samples.Count == 0) throw new BenchmarkDataException($"{root}: no images in the class folders");
        return (samples, kind);
    }

    /// <summary>Each folder's label: its number, its WordNet id's position, or its class name's position.</summary>
    private static (int[] Labels, string Kind) FolderLabels(
        string[] folders, IReadOnlyList<string> names, string[]? wnids, string root, string name)
    {
        if (folders.All(f => f.All(char.IsAsciiDigit)))
        {
            var labels = folders.Select(f => int.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            var bad = folders.Where((f, k) => labels[k] >= names.Count).FirstOrDefault();
            if (bad is not null)
                throw new BenchmarkDataException(
                    $"{Path.Combine(root, bad)}: label {bad} but there are {names.Count} class names");
            return (labels, "numeric");
        }
        if (folders.All(f => WordNetId().IsMatch(f)))
        {
            wnids ??= names.Count == 1000 ? ZeroShotMetadata.WordNetIds("imagenet1k") : null;
            if (wnids is null || wnids.Length != names.Count)
                throw new BenchmarkDataException($"{root}: WordNet-id folders, but '{name}' is not an ImageNet " +
                    $"dataset with {names.Count} classes (name it with --dataset, e.g. imagenet-a)");
            var index = wnids.Select((w, i) => (w, i)).ToDictionary(x => x.w, x => x.i, StringComparer.Ordinal);
            var bad = folders.FirstOrDefault(f => !index.ContainsKey(f));
            if (bad is not null)
                throw new BenchmarkDataException(
                    $"{Path.Combine(root, bad)}: {bad} is not one of the {wnids.Length} WordNet ids of {name}");
            return (folders.Select(f => index[f]).ToArray(), "WordNet-id");
        }
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = names.Count - 1; i >= 0; i--) byName[names[i]] = i;
        var result = new int[folders.Length];
        for (var k = 0; k < folders.Length; k++)
            if (!byName.TryGetValue(folders[k], out result[k])
                && !byName.TryGetValue(folders[k].Replace('_', ' '), out result[k]))
                throw new BenchmarkDataException($"{Path.Combine(root, folders[k])}: the folder is neither a label " +
                    "index, a WordNet id nor a class name of classnames.txt");
        return (result, "class-name");
    }
}
