using System.CommandLine;
using System.Diagnostics;
using PowerClip.Data;

using PowerClip.Train;

namespace PowerClip.Cli.Commands;

/// <summary>
/// `powerclip data …`: write the synthetic world as WebDataset shards, export its benchmarks, turn a CSV or an
/// image folder into shards, add SAM masks to shards, and check a dataset (count the samples a run would use
/// and the ones it would skip).
/// </summary>
public static class DataCommand
{
    public static Command Create() => new("data", "Synthetic world, benchmark exports and dataset shards")
    {
        World(), ExportBenchmarks(), Shards(), Check(), DataMasksCommand.Create(),
    };

    private sealed class WorldOptions
    {
        public Option<int> Seed { get; } = new("--seed") { Description = "Sample seed", DefaultValueFactory = _ => 0 };
        public Option<int> SplitSeed { get; } = new("--split-seed") {
            Description = "Which combinations are held out (keep it fixed across splits)",
            DefaultValueFactory = _ => 0 };
        public Option<int> ImageSize { get; } = new("--image-size") {
            Description = "Image side in pixels (paper: 224; CPU presets: 64)", DefaultValueFactory = _ => 224 };
        public Option<int> PatchSize { get; } = new("--patch-size") {
            Description = "Patch side in pixels; masks are on the patch grid (paper: 16; CPU presets: 8)",
            DefaultValueFactory = _ => 16 };
        public Option<int> MaxObjects { get; } = new("--max-objects") {
            Description = "Objects per image, 1 to this (at most 4)", DefaultValueFactory = _ => 4 };

        public void AddTo(Command c)
        {
            c.Add(Seed); c.Add(SplitSeed); c.Add(ImageSize); c.Add(PatchSize); c.Add(MaxObjects);
        }

        public SyntheticWorld Build(ParseResult r)
        {
            try
            {
                return new SyntheticWorld(new WorldConfig(r.GetValue(ImageSize), r.GetValue(PatchSize), 1,
                    r.GetValue(MaxObjects), r.GetValue(Seed), r.GetValue(SplitSeed)));
            }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
        }
    }

    private static Option<string> Out() => new("--out") { Description = "Output folder", Required = true };

    private static Option<int> Count(int dflt, string what) =>
        new("--count") { Description = what, DefaultValueFactory = _ => dflt };

    private static WorldSplit ParseSplit(string s) => s switch
    {
        "train" => WorldSplit.Train,
        "test" => WorldSplit.Test,
        _ => throw new UsageException($"--split must be train or test, got '{s}'"),
    };

    private static void Positive(int value, string name)
    {
        if (value < 1) throw new UsageException($"{name} must be >= 1, got {value}");
    }

    internal static long Positive(long value, string name) =>
        value >= 1 ? value : throw new UsageException($"{name} must be >= 1, got {value}");

    internal static Option<long> MaxEntryBytes() => new("--max-entry-bytes")
    {
        Description = "Skip (and count) tar entries larger than this, unread",
        DefaultValueFactory = _ => WebDataset.DefaultMaxEntryBytes,
    };

    private static Command World()
    {
        var world = new WorldOptions();
        var output = Out();
        var count = Count(1000, "Number of samples");
        var split = new Option<string>("--split") { Description = "train (no held-out combination) or test (each " +
            "sample has one)", DefaultValueFactory = _ => "train" };
        var perShard = new Option<int>("--per-shard") { Description = "Samples per shard",
            DefaultValueFactory = _ => 1000 };
        var command = new Command("world", "Write the synthetic compositional world as WebDataset shards (png, txt, " +
            "json, regions.json, tree)") { output, count, split, perShard };
        world.AddTo(command);
        command.SetAction(r =>
        {
            var w = world.Build(r);
            var n = r.GetValue(count);
            Positive(n, "--count");
            Positive(r.GetValue(perShard), "--per-shard");
            var sp = ParseSplit(r.GetValue(split) ?? "");
            var clock = Stopwatch.StartNew();
            using var writer = new ShardWriter(r.GetValue(output)!, sp.ToString().ToLowerInvariant(),
                r.GetValue(perShard));
            foreach (var s in w.Samples(sp, n)) writer.Write(s.ToRaw());
            writer.Complete();
            Console.WriteLine($"wrote {writer.Written} {sp.ToString().ToLowerInvariant()} samples " +
                $"({w.Config.ImageSize} px, {w.Config.GridSize}x{w.Config.GridSize} patch grid) in " +
                $"{writer.Paths.Count} shard(s): {writer.Pattern} ({clock.Elapsed.TotalSeconds:F1} s)");
            return 0;
        });
        return command;
    }

    private static Command ExportBenchmarks()
    {
        var world = new WorldOptions();
        var output = Out();
        var count = Count(500, "Scenes per benchmark (SugarCrepe, Winoground, ARO, retrieval)");
        var perClass = new Option<int>("--per-class") { Description = "Zero-shot images per colour×shape class",
            DefaultValueFactory = _ => 10 };
        var captions = new Option<int>("--captions-per-image") { Description = "Retrieval captions per image",
            DefaultValueFactory = _ => 5 };
        var split = new Option<string>("--split") { Description = "Scenes from test (held-out combinations, default) " +
            "or train", DefaultValueFactory = _ => "test" };
        var command = new Command("export-benchmarks", "Export SugarCrepe, Winoground-style, ARO-style, zero-shot " +
            "and Karpathy retrieval benchmarks built from the world") { output, count, perClass, captions, split };
        world.AddTo(command);
        command.SetAction(r =>
        {
            var w = world.Build(r);
            Positive(r.GetValue(count), "--count");
            Positive(r.GetValue(perClass), "--per-class");
            Positive(r.GetValue(captions), "--captions-per-image");
            var exporter = new BenchmarkExporter(w, ParseSplit(r.GetValue(split) ?? ""));
            foreach (var (file, n) in exporter.ExportAll(r.GetValue(output)!, r.GetValue(count), r.GetValue(perClass),
                r.GetValue(captions)))
                Console.WriteLine($"{file,-45} {n}");
            return 0;
        });
        return command;
    }

    private static Command Shards()
    {
        var output = Out();
        var csv = new Option<string?>("--csv") { Description = "A CSV/TSV table with columns filepath and title (see " +
            "--image-column, --caption-column)" };
        var folder = new Option<string?>("--folder") { Description = "An image folder; each image's caption is in a " +
            ".txt file with the same name" };
        var imageColumn = new Option<string>("--image-column") { Description = "Image path column of the table",
            DefaultValueFactory = _ => "filepath" };
        var captionColumn = new Option<string>("--caption-column") { Description = "Caption column of the table",
            DefaultValueFactory = _ => "title" };
        var perShard = new Option<int>("--per-shard") { Description = "Samples per shard",
            DefaultValueFactory = _ => 1000 };
        var command = new Command("shards", "Turn a CSV/TSV table or an image folder into WebDataset shards, " +
            "skipping unusable images") { output, csv, folder, imageColumn, captionColumn, perShard };
        command.SetAction(r =>
        {
            var (table, dir) = (r.GetValue(csv), r.GetValue(folder));
            if ((table is null) == (dir is null)) throw new UsageException("give exactly one of --csv and --folder");
            Positive(r.GetValue(perShard), "--per-shard");
            var problems = new DataProblems(Console.Error);
            var options = new StreamOptions(ShuffleBuffer: 0);
            var samples = table is not null
                ? new CsvSource(table, options, problems, r.GetValue(imageColumn)!, r.GetValue(captionColumn)!).Read()
                : new FolderSource(dir!, options, problems).Read();
            using var writer = new ShardWriter(r.GetValue(output)!, "shard", r.GetValue(perShard), jpeg: true);
            foreach (var s in samples) writer.Write(s);
            writer.Complete();
            Console.WriteLine($"wrote {writer.Written} samples in {writer.Paths.Count} shard(s): {writer.Pattern}; " +
                $"{problems.Summary()}");
            return 0;
        });
        return command;
    }

    private static Command Check()
    {
        var shards = new Option<string?>("--shards") { Description = "WebDataset shards, brace-expanded: " +
            "'dir/shard-{00000..00009}.tar'" };
        var csv = new Option<string?>("--csv") { Description = "A CSV/TSV table (filepath, title)" };
        var maxPixels = new Option<long>("--max-pixels") { Description = "Refuse images with more pixels than this " +
            "(checked before decoding)", DefaultValueFactory = _ => ImageLoader.DefaultMaxPixels };
        var imageSize = new Option<int>("--image-size") { Description = "Model input size the images are prepared for",
            DefaultValueFactory = _ => 224 };
        var patchSize = new Option<int>("--patch-size") { Description = "Model patch size (region masks are " +
            "resampled to its grid)", DefaultValueFactory = _ => 16 };
        var bpe = new Option<string?>("--bpe") { Description = "CLIP BPE merges file; default: GPT-2 BPE, shipped in " +
            "the package" };
        var coverage = new Option<double>("--mask-coverage")
        {
            Description = "Share of a patch's pixels a mask must cover to hold the patch",
            DefaultValueFactory = _ => ImageTransform.DefaultMaskCoverage,
        };
        var maxEntry = MaxEntryBytes();
        var threads = new Option<int>("--threads")
        {
            Description = "Worker threads that decode and prepare (default: the number of cores)",
            DefaultValueFactory = _ => 0,
        };
        var command = new Command("check",
            "Read and prepare a dataset as training would (decode, resize, tokenize, trees, masks); " +
            "report usable, skipped and repaired samples, the share with masks, the rate")
            { shards, csv, maxPixels, imageSize, patchSize, bpe, coverage, maxEntry, threads };
        command.SetAction(r =>
        {
            var (pattern, table) = (r.GetValue(shards), r.GetValue(csv));
            if ((pattern is null) == (table is null)) throw new UsageException(
                "give exactly one of --shards and --csv");
            var (size, patch) = (r.GetValue(imageSize), r.GetValue(patchSize));
            if (size < 1 || patch < 1 || size % patch != 0) throw new UsageException(
                $"--patch-size {patch} must divide --image-size {size}");
            if (r.GetValue(coverage) is not (> 0 and <= 1) and var c)
                throw new UsageException($"--mask-coverage must lie in (0, 1], got {c}");
            var problems = new DataProblems(Console.Error);
            if (r.GetValue(threads) < 0) throw new UsageException($"--threads must be ≥ 0, got {r.GetValue(threads)}");
            var options = new StreamOptions(ShuffleBuffer: 0, Parallelism: r.GetValue(threads),
                MaxPixels: r.GetValue(maxPixels),
                                            MaxEntryBytes: Positive(r.GetValue(maxEntry), "--max-entry-bytes"));
            IRawSampleSource source = pattern is not null ? new WebDatasetSource(pattern, options,
                problems) : new CsvSource(table!, options, problems);
            var tokenizer = r.GetValue(bpe) is { } path ? ClipTokenizer(path) : CaptionTokenizer.Gpt2();
            var transform = new ImageTransform(size, patch) { MaskCoverage = r.GetValue(coverage) };
            var preparer = new SamplePreparer(transform, tokenizer, problems);
            var shipped = new CountingSource(source);
            var clock = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var (n, withRegions) = (0, 0);
            foreach (var s in preparer.Stream(shipped, 0, options))
            {
                n++;
                if (s.Regions is not null) withRegions++;
            }
            var rate = n / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            var share = 100.0 * withRegions / Math.Max(n, 1);
            var grid = transform.GridSize;
            // CPU time is what a sample costs whatever else runs on the machine: samples per CPU-second is the rate one
            // fully available core would sustain.
            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            var perCpuSecond = n / Math.Max(cpuSeconds, 1e-9);
            Console.WriteLine($"{n} usable samples ({withRegions} with masks on the {grid}x{grid} patch grid: " +
                              $"{share:F1}%, {shipped.WithTree} with trees); {problems.Summary()}; " +
                              $"{rate:F0} samples/s prepared at {size} px ({options.Threads} worker thread(s); " +
                              $"{cpuSeconds:F1} CPU-s, {perCpuSecond:F0} samples per CPU-second)");
            return 0;
        });
        return command;
    }

    /// <summary>CLIP's tokenizer from --bpe; a missing or malformed file is a usage error (exit 2).</summary>
    public static CaptionTokenizer ClipTokenizer(string path)
    {
        try { return CaptionTokenizer.FromClipVocabulary(path); }
        catch (Exception e) when (e is FileNotFoundException or FormatException) {
            throw new UsageException("--bpe: " + e.Message); }
    }

    /// <summary>Counts the samples that ship a tree (after preparation every sample has one).</summary>
    private sealed class CountingSource(IRawSampleSource inner) : IRawSampleSource
    {
        private int _withTree;
        public int WithTree => _withTree;

        public IEnumerable<RawSample> Read(int epoch = 0) =>
            inner.Read(epoch).Select(s => { if (s.Tree is not null) Interlocked.Increment(ref _withTree); return s; });
    }
}
