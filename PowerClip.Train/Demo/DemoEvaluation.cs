using PowerClip.Train.Evaluation;
using PowerClip.Train.Models;
using PowerClip.Train.Training;
using TorchSharp;

namespace PowerClip.Train.Demo;

/// <summary>
/// One arm's results on the held-out benchmarks: (benchmark, metric) → proportion with its interval, and the
/// grounding accuracy per phrase type (null when the export has no grounding folder).
/// </summary>
public sealed record DemoEvaluation(string Checkpoint,
    IReadOnlyList<(string Benchmark, string Metric, Proportion Value)> Rows)
{
    public GroundingBenchmarkResult? Grounding { get; init; }

    public static DemoEvaluation Evaluate(string runDir, string benchmarks, torch.Device device)
    {
        using var model = TrainedModel.Load(runDir, device);
        var suite = BenchmarkSuite.Run(model, benchmarks);
        var rows = suite.All().SelectMany(r => r.Rows().Select(x => (r.Benchmark, x.Metric, x.Value))).ToList();
        var grounding = Path.Combine(benchmarks, "grounding");
        return new DemoEvaluation(model.CheckpointDirectory, rows)
        {
            Grounding = GroundingBenchmark.Present(grounding)
                ? GroundingBenchmark.Run(new ModelPhraseSimilarity(model), grounding)
                : null,
        };
    }

    public Proportion? Find(string benchmark, string metric) =>
        Rows.Where(r => r.Benchmark == benchmark && r.Metric == metric).Select(r => r.Value).FirstOrDefault();
}
