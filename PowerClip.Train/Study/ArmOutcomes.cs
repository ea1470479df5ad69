using System.Text.Json;
using PowerClip.Data;
using PowerClip.Train.Evaluation;
using PowerClip.Train.Models;
using PowerClip.Train.Training;
using TorchSharp;

namespace PowerClip.Train.Study;

/// <summary>
/// One trained arm's per-item outcomes on every benchmark of the study's export, keyed "benchmark/metric"
/// (e.g. "zeroshot/top-1, seen classes", "robustness/outline/top-1", "grounding/IoU: relation"): 1/0 per item for
/// accuracies, the IoU per phrase for grounding. Kept in the run folder (study-outcomes.json) with the checkpoint
/// (relative to the run folder) and the export it came from, so a rerun of the study reuses it.
/// </summary>
public sealed record ArmOutcomes(string Checkpoint, string Benchmarks, IReadOnlyDictionary<string, double[]> Items)
{
    public const string FileName = "study-outcomes.json";

    /// <summary>The saved outcomes of this checkpoint on this export, or a fresh evaluation (then saved).</summary>
    public static ArmOutcomes Ensure(string runDir, string checkpoint, string benchmarks, torch.Device device)
    {
        var path = Path.Combine(runDir, FileName);
        var stamp = ExportStamp(benchmarks);
        var relative = Path.GetRelativePath(runDir, checkpoint);
        if (File.Exists(path) && Read(path) is { } saved && saved.Checkpoint == relative && saved.Benchmarks == stamp)
            return saved;
        var fresh = Evaluate(checkpoint, benchmarks, device) with { Checkpoint = relative, Benchmarks = stamp };
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(fresh));
        return fresh;
    }

    public static ArmOutcomes Evaluate(string checkpoint, string benchmarks, torch.Device device)
    {
        using var model = TrainedModel.Load(checkpoint, device);
        var encoder = new ModelEncoder(model);
        var items = new SortedDictionary<string, double[]>(StringComparer.Ordinal);
        void Add(string prefix, IBenchmarkResult result)
        {
            foreach (var (metric, p) in result.Rows())
                if (p.Items is { } hits) items[$"{prefix}/{metric}"] = hits.Select(h => h ? 1.0 : 0.0).ToArray();
        }
        foreach (var result in BenchmarkSuite.Run(encoder, benchmarks, checkpoint).All()) Add(result.Benchmark, result);
        foreach (var shift in RenderStyle.Shifts)
        {
            var dir = Path.Combine(benchmarks, "robustness", shift.Name);
            if (ZeroShotBenchmark.Present(dir)) Add($"robustness/{shift.Name}", ZeroShotBenchmark.Run(encoder, dir));
        }
        var grounding = Path.Combine(benchmarks, "grounding");
        if (GroundingBenchmark.Present(grounding))
        {
            var g = GroundingBenchmark.Run(new ModelPhraseSimilarity(model), grounding);
            Add("grounding", g);
            foreach (var (type, scores) in g.ByType) items[$"grounding/IoU: {type}"] = scores.IoU.ToArray();
            items["grounding/IoU: all"] = g.All.IoU.ToArray();
        }
        return new ArmOutcomes(model.CheckpointDirectory, "", items);
    }

    /// <summary>Saved outcomes, or null for a file this version cannot read (it is then evaluated again).</summary>
    private static ArmOutcomes? Read(string path)
    {
        try { return JsonSerializer.Deserialize<ArmOutcomes>(File.ReadAllText(path)); }
        catch (JsonException) { return null; }
    }

    /// <summary>The export's completion marker: outcomes of another export are not reused.</summary>
    private static string ExportStamp(string benchmarks)
    {
        var marker = Path.Combine(benchmarks, ".complete");
        return File.Exists(marker) ? File.ReadAllText(marker) : "";
    }
}
