using System.CommandLine;
using System.Text.Json.Nodes;
using PowerClip.Train.Evaluation;
using PowerClip.Train.Models;
using PowerClip.Train.Training;

using PowerClip.Train;

namespace PowerClip.Cli.Commands;

/// <summary>
/// `powerclip eval zeroshot|retrieval|sugarcrepe|winoground|aro|all --data DIR --checkpoint CKPT [--score S]
/// [--out FILE]` and `powerclip eval paper` (<see cref="EvalPaperCommand"/>): a results table per score on the
/// console and, with --out, JSON that names the score of every number (for sugarcrepe with the default score alone,
/// exactly {category: accuracy}, as the SugarCrepe tooling writes it). A missing or malformed data folder or
/// checkpoint, or a bad item in a benchmark file, is a usage error (exit 2) with a one-line message naming the file
/// and the item.
/// </summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var command = new Command("eval",
            "Evaluate a checkpoint: zero-shot, retrieval, SugarCrepe, Winoground, ARO, an export, the paper's table");
        foreach (var name in BenchmarkSuite.Names) command.Add(Benchmark(name));
        command.Add(Benchmark("all"));
        command.Add(EvalPaperCommand.Create());
        command.Add(EvalGroundingCommand.Create());
        return command;
    }

    private static readonly Dictionary<string, string> Descriptions = new()
    {
        ["zeroshot"] = "Zero-shot classification (top-1, top-5, mean per-class recall); "
            + "DIR in CLIP_benchmark's webdataset or image-folder layout",
        ["retrieval"] = "Image↔text retrieval R@1/5/10; DIR holds CLIP_benchmark's webdataset, a Karpathy "
            + "dataset_*.json, coco_test_karpathy.json or *_test_karpathy.txt",
        ["sugarcrepe"] = "SugarCrepe accuracy per category; DIR holds the category JSON files and images/ or val2017/ "
            + "(--out writes {category: accuracy})",
        ["winoground"] = "Winoground text, image and group scores; DIR holds data/examples.jsonl and data/images/",
        ["aro"] = "ARO: VG-Relation, VG-Attribution (macro, official; micro), COCO- and Flickr30k-Order (precision@1)",
        ["all"] = "Every benchmark found in a `powerclip data export-benchmarks` folder",
    };

    /// <summary>The --score option every eval command shares.</summary>
    public static Option<string> ScoreOption() => new("--score")
    {
        Description = "Scores, comma-separated: cosine (global embeddings: the paper's protocol, default), "
            + "filip (late interaction), sparc (fine-grained), powerclip (S̄), "
            + "own (cosine + the checkpoint's own objective's score) or all",
        DefaultValueFactory = _ => EvaluationScores.ProtocolDefault,
    };

    public static Option<int> BatchSizeOption() => new("--batch-size")
    {
        Description = "Images or captions encoded per forward pass", DefaultValueFactory = _ => 64,
    };

    private static Command Benchmark(string name)
    {
        var runtime = new RuntimeOptions();
        var data = new Option<string>("--data") { Description = "Benchmark folder", Required = true };
        var checkpoint = new CheckpointOptions();
        var output = new Option<string?>("--out") { Description = "Write the results as JSON to this file" };
        var batchSize = BatchSizeOption();
        var score = ScoreOption();
        var images = new Option<string?>("--images")
        {
            Description = "The image folder the JSON files name (default DIR/images, else DIR/val2017: COCO val2017)",
        };
        var dataset = new Option<string?>("--dataset")
        {
            Description = "CLIP_benchmark's name of the dataset (imagenet-a, vtab/cifar10, …; default: the folder's)",
        };
        var seed = new Option<int>("--seed")
        {
            Description = "Seed of the COCO-/Flickr30k-Order caption perturbations", DefaultValueFactory = _ => 0,
        };
        var command = new Command(name, Descriptions[name]) { data, output, batchSize, score };
        checkpoint.AddTo(command);
        if (name == "sugarcrepe") command.Add(images);
        if (name == "zeroshot") command.Add(dataset);
        if (name == "aro") command.Add(seed);
        runtime.AddTo(command);
        command.SetAction(r =>
        {
            var dir = r.GetValue(data)!;
            if (!Directory.Exists(dir)) throw new UsageException($"--data: folder not found: {dir}");
            var batch = r.GetValue(batchSize);
            if (batch < 1) throw new UsageException($"--batch-size must be >= 1, got {batch}");
            ParseScores(r.GetValue(score)!, "clip");
            var resolved = checkpoint.Resolve(r);
            var (device, _) = runtime.Apply(r);
            using var model = checkpoint.Load(r, resolved, device);
            var ids = ParseScores(r.GetValue(score)!, model.Config.Loss);
            var options = new BenchmarkOptions(r.GetValue(images), r.GetValue(dataset), r.GetValue(seed));
            var outPath = r.GetValue(output);
            // SugarCrepe's own file only for SugarCrepe's own protocol (the cosine, alone); else our envelope.
            var sugarCrepeFile = name == "sugarcrepe" && ids is [EvaluationScores.ProtocolDefault];
            var (results, names) = (new JsonObject(), new JsonObject());
            try
            {
                foreach (var id in ids)
                {
                    var s = EvaluationScores.For(id, model, batch);
                    names[id] = s.Name;
                    Console.WriteLine($"score: {s.Name}");
                    object result;
                    if (name == "all")
                    {
                        var suite = BenchmarkSuite.Run(s, dir, resolved);
                        ResultTable.Print(suite.All());
                        result = suite;
                    }
                    else
                    {
                        var one = BenchmarkSuite.RunOne(s, name, dir, options);
                        ResultTable.Print([one]);
                        result = sugarCrepeFile ? ((SugarCrepeResult)one).Accuracies() : one;
                    }
                    results[id] = JsonNode.Parse(ResultJson.Serialize(result));
                }
            }
            catch (BenchmarkDataException e) { throw new UsageException(e.Message); }
            if (outPath is not null)
            {
                var json = sugarCrepeFile ? results[ids[0]]!
                    : Envelope(resolved, name, model.Config.Loss, names, results);
                Write(outPath, json.ToJsonString(ResultJson.Options));
            }
            var saved = outPath is null ? "" : $"; results: {outPath}";
            Console.WriteLine($"checkpoint {resolved}; protocol default: {BenchmarkSuite.GlobalCosine}{saved}");
            return 0;
        });
        return command;
    }

    /// <summary>The results file: checkpoint, protocol default, each score's id and meaning, its results.</summary>
    public static JsonObject Envelope(
        string checkpoint, string benchmark, string objective, JsonObject names, JsonObject results) => new()
    {
        ["checkpoint"] = checkpoint, ["benchmark"] = benchmark, ["objective"] = objective,
        ["protocol_default"] = EvaluationScores.ProtocolDefault, ["scores"] = names, ["results"] = results,
    };

    public static IReadOnlyList<string> ParseScores(string option, string objective)
    {
        try { return EvaluationScores.Parse(option, objective); }
        catch (ArgumentException e) { throw new UsageException($"--score: {e.Message}"); }
    }

    public static void Write(string path, string json)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(path));
        if (parent is not null) Directory.CreateDirectory(parent);
        AtomicFile.WriteAllText(path, json);
    }
}
