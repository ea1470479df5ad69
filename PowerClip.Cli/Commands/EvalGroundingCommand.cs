using System.CommandLine;
using System.Globalization;
using PowerClip.Train.Evaluation;

namespace PowerClip.Cli.Commands;

/// <summary>
/// `powerclip eval grounding --data DIR --checkpoint CKPT [--out FILE]`: pointing accuracy and the mean IoU of
/// T2R's selected subset per phrase type on a grounding export (<see cref="GroundingBenchmark"/>).
/// </summary>
public static class EvalGroundingCommand
{
    public static Command Create()
    {
        var runtime = new RuntimeOptions();
        var data = new Option<string>("--data")
        {
            Description = "Grounding folder: grounding.json and images/ (export-benchmarks' grounding/)",
            Required = true,
        };
        var checkpoint = new CheckpointOptions();
        var output = new Option<string?>("--out") { Description = "Write the results as JSON to this file" };
        var batchSize = new Option<int>("--batch-size")
        {
            Description = "Images and captions encoded per forward pass", DefaultValueFactory = _ => 64,
        };
        var command = new Command("grounding",
            "Grounding accuracy per phrase type: does the patch with the largest S1 fall in the named object's mask " +
            "(pointing), and the IoU of T2R's selected patches (S1 > 0) with it; DIR holds grounding.json and images/")
        {
            data, output, batchSize,
        };
        checkpoint.AddTo(command);
        runtime.AddTo(command);
        command.SetAction(r =>
        {
            var dir = r.GetValue(data)!;
            if (!Directory.Exists(dir)) throw new UsageException($"--data: folder not found: {dir}");
            var batch = r.GetValue(batchSize);
            if (batch < 1) throw new UsageException($"--batch-size must be >= 1, got {batch}");
            var resolved = checkpoint.Resolve(r);
            var (device, _) = runtime.Apply(r);
            using var model = checkpoint.Load(r, resolved, device);
            GroundingBenchmarkResult result;
            try { result = GroundingBenchmark.Run(new ModelPhraseSimilarity(model, batch), dir); }
            catch (BenchmarkDataException e) { throw new UsageException(e.Message); }
            ResultTable.Print([result]);
            foreach (var (metric, mean, n) in result.IoURows())
            {
                var pct = (100 * mean).ToString("F1", CultureInfo.InvariantCulture);
                Console.WriteLine($"{metric,-28} mean {pct}%  n={n}");
            }
            var outPath = r.GetValue(output);
            if (outPath is not null) EvalCommand.Write(outPath, ResultJson.Serialize(GroundingSummary.Of(result)));
            Console.WriteLine($"checkpoint {resolved}; {result.Items} images, {result.Phrases} phrases " +
                              $"({result.Truncated} cut off by the text context)" +
                              (outPath is null ? "" : $"; results: {outPath}"));
            return 0;
        });
        return command;
    }
}
