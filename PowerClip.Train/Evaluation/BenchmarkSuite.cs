using PowerClip.Train.Models;
using PowerClip.Train.Training;

namespace PowerClip.Train.Evaluation;

/// <summary>Every benchmark found in an export folder (null: not present), and the score that made the
/// numbers.</summary>
public sealed record SuiteResults(
    string Checkpoint, string Score, string Scoring,
    ZeroShotResult? Zeroshot, RetrievalResult? Retrieval, SugarCrepeResult? Sugarcrepe, WinogroundResult? Winoground,
        AroResult? Aro)
{
    public IEnumerable<IBenchmarkResult> All() =>
        new IBenchmarkResult?[] { Zeroshot, Retrieval, Sugarcrepe, Winoground, Aro }.OfType<IBenchmarkResult>();
}

/// <summary>Per-benchmark options: SugarCrepe's image folder, the zero-shot dataset's CLIP_benchmark name, ARO's
/// perturbation seed.</summary>
public sealed record BenchmarkOptions(string? Images = null, string? Dataset = null, int Seed = 0);

/// <summary>
/// Runs the benchmarks of a `powerclip data export-benchmarks` folder (sub-folders zeroshot/, retrieval/,
/// sugarcrepe/, winoground/, aro/; the ones present) and returns the results — the entry point for the demo.
/// The protocol default is the paper's: cosines of the global (average-pooled) embeddings, the standard CLIP
/// evaluation; any <see cref="EvaluationScore"/> can replace it.
/// </summary>
public static class BenchmarkSuite
{
    public const string GlobalCosine = "global-embedding cosine";

    /// <summary>The benchmark names `powerclip eval` accepts, in the order the suite runs them.</summary>
    public static readonly string[] Names = ["zeroshot", "retrieval", "sugarcrepe", "winoground", "aro"];

    public static SuiteResults Run(TrainedModel model, string exportDir, int batchSize = 64) =>
        Run(new ModelEncoder(model, batchSize), exportDir, model.CheckpointDirectory);

    public static SuiteResults Run(IEmbeddingEncoder encoder, string exportDir, string checkpoint = "") =>
        Run(EvaluationScore.Cosine(encoder), exportDir, checkpoint);

    public static SuiteResults Run(EvaluationScore score, string exportDir, string checkpoint = "")
    {
        BenchmarkFiles.RequireDirectory(exportDir);
        string Sub(string name) => Path.Combine(exportDir, name);
        var results = new SuiteResults(checkpoint, score.Id, score.Name,
            ZeroShotBenchmark.Present(Sub("zeroshot")) ? ZeroShotBenchmark.Run(score, Sub("zeroshot")) : null,
            RetrievalBenchmark.Present(Sub("retrieval")) ? RetrievalBenchmark.Run(score, Sub("retrieval")) : null,
            SugarCrepeBenchmark.Present(Sub("sugarcrepe"))
                ? SugarCrepeBenchmark.Run(score.Pairs, Sub("sugarcrepe")) : null,
            WinogroundBenchmark.Present(Sub("winoground"))
                ? WinogroundBenchmark.Run(score.Pairs, Sub("winoground")) : null,
            AroBenchmark.Present(Sub("aro")) ? AroBenchmark.Run(score.Pairs, Sub("aro")) : null);
        if (!results.All().Any())
            throw new BenchmarkDataException($"{exportDir}: no benchmark found (expected sub-folders " +
                $"{string.Join(", ", Names)} as `powerclip data export-benchmarks` writes them)");
        return results;
    }

    /// <summary>One benchmark on its own folder (the folder that holds its files, e.g. export/sugarcrepe).</summary>
    public static IBenchmarkResult RunOne(IEmbeddingEncoder encoder, string name, string dir) =>
        RunOne(EvaluationScore.Cosine(encoder), name, dir);

    /// <summary>One benchmark on its own folder with a given score.</summary>
    public static IBenchmarkResult RunOne(
        EvaluationScore score, string name, string dir, BenchmarkOptions? options = null)
    {
        options ??= new BenchmarkOptions();
        return name switch
        {
            "zeroshot" => ZeroShotBenchmark.Run(score, dir, options.Dataset),
            "retrieval" => RetrievalBenchmark.Run(score, dir),
            "sugarcrepe" => SugarCrepeBenchmark.Run(score.Pairs, dir, options.Images),
            "winoground" => WinogroundBenchmark.Run(score.Pairs, dir),
            "aro" => AroBenchmark.Run(score.Pairs, dir, options.Seed),
            _ => throw new ArgumentException($"unknown benchmark '{name}': expected one of {string.Join(", ", Names)}"),
        };
    }
}
