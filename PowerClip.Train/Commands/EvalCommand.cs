using System.CommandLine;
using PowerClip.Train.Evaluation;
using PowerClip.Train.Training;

namespace PowerClip.Train.Commands;

/// <summary>
/// `powerclip eval zeroshot|retrieval|sugarcrepe|winoground|aro|all --data DIR --checkpoint CKPT [--out FILE]`:
/// a results table on the console and, with --out, JSON (for sugarcrepe exactly {category: accuracy}, as the
/// SugarCrepe tooling writes it). Scores: cosine of the global embeddings. A missing or malformed data folder
/// or checkpoint is a usage error (exit 2) with a one-line message.
/// </summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var command = new Command("eval", "Evaluate a checkpoint: zero-shot, retrieval, SugarCrepe, Winoground, ARO (or all of an export folder)");
        foreach (var name in BenchmarkSuite.Names) command.Add(Benchmark(name));
        command.Add(Benchmark("all"));
        command.Add(EvalGroundingCommand.Create());
        return command;
    }

    private static readonly Dictionary<string, string> Descriptions = new()
    {
        ["zeroshot"] = "Zero-shot classification with prompt-template ensembles (top-1, top-5); DIR holds classnames.txt, templates.txt, test/CLASS/*",
        ["retrieval"] = "Image↔text retrieval R@1/5/10 in both directions; DIR holds a Karpathy dataset_*.json and its images",
        ["sugarcrepe"] = "SugarCrepe accuracy per category; DIR holds the category JSON files and images/ (--out writes {category: accuracy})",
        ["winoground"] = "Winoground text, image and group scores; DIR holds examples.jsonl and images/",
        ["aro"] = "ARO order tests (VG-Relation, VG-Attribution); DIR holds visual_genome_*.json and the images they name",
        ["all"] = "Every benchmark found in a `powerclip data export-benchmarks` folder",
    };

    private static Command Benchmark(string name)
    {
        var runtime = new RuntimeOptions();
        var data = new Option<string>("--data") { Description = "Benchmark folder", Required = true };
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint folder (checkpoints/step-N) or run folder (its latest checkpoint)", Required = true };
        var output = new Option<string?>("--out") { Description = "Write the results as JSON to this file" };
        var batchSize = new Option<int>("--batch-size") { Description = "Images or captions encoded per forward pass", DefaultValueFactory = _ => 64 };
        var score = new Option<string>("--score")
        {
            Description = "cosine (global embeddings, the standard) or powerclip (PowerCLIP's S̄ with regions = patches; sugarcrepe, winoground and aro only)",
            DefaultValueFactory = _ => "cosine",
        };
        var images = new Option<string?>("--images") { Description = "sugarcrepe: the image folder the JSON files name (default DIR/images; for the real benchmark, COCO val2017)" };
        var command = new Command(name, Descriptions[name]) { data, checkpoint, output, batchSize, score };
        if (name == "sugarcrepe") command.Add(images);
        runtime.AddTo(command);
        command.SetAction(r =>
        {
            var dir = r.GetValue(data)!;
            if (!Directory.Exists(dir)) throw new UsageException($"--data: folder not found: {dir}");
            var scoring = r.GetValue(score);
            if (scoring is not ("cosine" or "powerclip")) throw new UsageException($"--score must be cosine or powerclip, got '{scoring}'");
            if (scoring == "powerclip" && !BenchmarkSuite.Pairwise.Contains(name))
                throw new UsageException($"--score powerclip applies to {string.Join(", ", BenchmarkSuite.Pairwise)}, not {name}");
            var batch = r.GetValue(batchSize);
            if (batch < 1) throw new UsageException($"--batch-size must be >= 1, got {batch}");
            var ckpt = r.GetValue(checkpoint)!;
            string resolved;
            try { resolved = TrainedModel.ResolveCheckpoint(ckpt); }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { throw new UsageException($"--checkpoint: {e.Message}"); }
            var (device, _) = runtime.Apply(r);
            using var model = TrainedModel.Load(resolved, device);
            var encoder = new ModelEncoder(model, batch);
            var outPath = r.GetValue(output);
            try
            {
                if (name == "all")
                {
                    var results = BenchmarkSuite.Run(encoder, dir, resolved);
                    ResultTable.Print(results.All());
                    if (outPath is not null) Write(outPath, ResultJson.Serialize(results));
                }
                else
                {
                    IPairScorer? scorer = scoring == "powerclip" ? new PowerClipScorer(model, batch) : null;
                    var result = name == "sugarcrepe"
                        ? SugarCrepeBenchmark.Run(scorer ?? new CosineScorer(encoder), dir, r.GetValue(images))
                        : scorer is not null ? BenchmarkSuite.RunOne(scorer, name, dir) : BenchmarkSuite.RunOne(encoder, name, dir);
                    ResultTable.Print([result]);
                    if (outPath is not null)
                        Write(outPath, result is SugarCrepeResult s ? ResultJson.Serialize(s.Accuracies()) : ResultJson.Serialize<object>(result));
                }
            }
            catch (BenchmarkDataException e) { throw new UsageException(e.Message); }
            var scoreName = scoring == "powerclip" ? PowerClipScorer.ScoreName : BenchmarkSuite.GlobalCosine;
            Console.WriteLine($"checkpoint {resolved}; scores: {scoreName}" + (outPath is null ? "" : $"; results: {outPath}"));
            return 0;
        });
        return command;
    }

    private static void Write(string path, string json)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(path));
        if (parent is not null) Directory.CreateDirectory(parent);
        AtomicFile.WriteAllText(path, json);
    }
}
