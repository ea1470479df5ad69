using System.CommandLine;
using PowerClip.Train.Evaluation;
using PowerClip.Train.Models;
using PowerClip.Train.Training;

namespace PowerClip.Cli.Commands;

/// <summary>
/// `powerclip eval paper --data ROOT --checkpoint CKPT [--out DIR] [--score S] [--table FILE]`: the paper's whole
/// table (<see cref="PaperTable"/>) from a folder of downloads named as CLIP_benchmark names them. Missing datasets
/// are reported as missing; results.json is rewritten after every dataset, report.html at the end. Datasets whose
/// files are bad are reported failed and the others still run; the command then ends with a one-line error, exit 2.
/// </summary>
public static class EvalPaperCommand
{
    public static Command Create()
    {
        var runtime = new RuntimeOptions();
        var data = new Option<string>("--data")
        {
            Description = "Folder of dataset folders named as CLIP_benchmark names them "
                + "(imagenet1k, wds_vtab-cifar10, mscoco_captions, sugar_crepe, winoground, …)",
            Required = true,
        };
        var checkpoint = new CheckpointOptions();
        var output = new Option<string>("--out")
        {
            Description = "Folder for results.json and report.html", DefaultValueFactory = _ => "eval-paper",
        };
        var batchSize = EvalCommand.BatchSizeOption();
        var table = new Option<string?>("--table")
        {
            Description = "A paper table JSON replacing the built-in one (datasets per group, reported averages)",
        };
        var score = EvalCommand.ScoreOption();
        var command = new Command("paper", "The paper's table (17 classification datasets, 6 ImageNet variants, "
            + "COCO/Flickr retrieval, SugarCrepe, Winoground) beside the paper's averages")
            { data, output, batchSize, score, table };
        checkpoint.AddTo(command);
        runtime.AddTo(command);
        command.SetAction(r =>
        {
            var root = r.GetValue(data)!;
            if (!Directory.Exists(root)) throw new UsageException($"--data: folder not found: {root}");
            var batch = r.GetValue(batchSize);
            if (batch < 1) throw new UsageException($"--batch-size must be >= 1, got {batch}");
            EvalCommand.ParseScores(r.GetValue(score)!, "clip");
            PaperTable paper;
            try { paper = r.GetValue(table) is { } file ? PaperTable.Load(file) : PaperTable.Default(); }
            catch (BenchmarkDataException e) { throw new UsageException($"--table: {e.Message}"); }
            var resolved = checkpoint.Resolve(r);
            var (device, _) = runtime.Apply(r);
            using var model = checkpoint.Load(r, resolved, device);
            var ids = EvalCommand.ParseScores(r.GetValue(score)!, model.Config.Loss);
            var outDir = r.GetValue(output)!;
            var (jsonPath, htmlPath) = (Path.Combine(outDir, "results.json"), Path.Combine(outDir, "report.html"));
            var done = new List<PaperScoreResult>();
            void Save(PaperScoreResult current)
            {
                var json = PaperReport.Json(paper, resolved, model.Config.Loss, root, done.Append(current).ToList());
                EvalCommand.Write(jsonPath, json.ToJsonString(ResultJson.Options));
            }
            foreach (var id in ids)
            {
                var s = EvaluationScores.For(id, model, batch);
                Console.WriteLine($"score: {s.Name}");
                var result = PaperEvaluation.Run(s, paper, root, Save);
                Save(result);
                done.Add(result);
                PaperReport.Print(paper, result, root);
            }
            PaperReport.SaveHtml(htmlPath, paper, resolved, root, done);
            Console.WriteLine($"checkpoint {resolved}; protocol default: {BenchmarkSuite.GlobalCosine}; "
                + $"results: {jsonPath}, {htmlPath}");
            var failed = done.SelectMany(x => x.Datasets).Where(d => d.Status == PaperDatasetResult.Failed).ToList();
            if (failed.Count > 0)
                throw new UsageException($"{failed.Count} dataset evaluation(s) failed (results kept in {jsonPath}); "
                    + $"first: {failed[0].Dataset}: {failed[0].Error}");
            return 0;
        });
        return command;
    }
}
