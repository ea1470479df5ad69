using PowerClip.Train.Models;
using PowerClip.Train.Training;

namespace PowerClip.Train.Evaluation;

/// <summary>Every benchmark found in an export folder (null: not present), and how the scores were made.</summary>
public sealed record SuiteResults(
    string Checkpoint, string Scoring,
    ZeroShotResult? Zeroshot, RetrievalResult? Retrieval, SugarCrepeResult? Sugarcrepe, WinogroundResult? Winoground, AroResult? Aro)
{
    public IEnumerable<IBenchmarkResult> All() =>
        new IBenchmarkResult?[] { Zeroshot, Retrieval, Sugarcrepe, Winoground, Aro }.OfType<IBenchmarkResult>();
}

/// <summary>
/// Runs the benchmarks of a `powerclip data export-benchmarks` folder (sub-folders zeroshot/, retrieval/,
/// sugarcrepe/, winoground/, aro/; the ones present) and returns the results — the entry point for the demo.
/// Scores are cosines of the global (average-pooled) embeddings, the standard CLIP evaluation.
/// </summary>
public static class BenchmarkSuite
{
    public const string GlobalCosine = "global-embedding cosine";

    /// <summary>The benchmark names `powerclip eval` accepts, in the order the suite runs them.</summary>
    public static readonly string[] Names = ["zeroshot", "retrieval", "sugarcrepe", "winoground", "aro"];

    public static SuiteResults Run(TrainedModel model, string exportDir, int batchSize = 64) =>
        Run(new ModelEncoder(model, batchSize), exportDir, model.CheckpointDirectory);

    public static SuiteResults Run(IEmbeddingEncoder encoder, string exportDir, string checkpoint = "")
    {
        BenchmarkFiles.RequireDirectory(exportDir);
        string Sub(string name) => Path.Combine(exportDir, name);
        var results = new SuiteResults(checkpoint, GlobalCosine,
            ZeroShotBenchmark.Present(Sub("zeroshot")) ? ZeroShotBenchmark.Run(encoder, Sub("zeroshot")) : null,
            RetrievalBenchmark.Present(Sub("retrieval")) ? RetrievalBenchmark.Run(encoder, Sub("retrieval")) : null,
            SugarCrepeBenchmark.Present(Sub("sugarcrepe")) ? SugarCrepeBenchmark.Run(encoder, Sub("sugarcrepe")) : null,
            WinogroundBenchmark.Present(Sub("winoground")) ? WinogroundBenchmark.Run(encoder, Sub("winoground")) : null,
            AroBenchmark.Present(Sub("aro")) ? AroBenchmark.Run(encoder, Sub("aro")) : null);
        if (!results.All().Any())
            throw new BenchmarkDataException($"{exportDir}: no benchmark found (expected sub-folders {string.Join(", ", Names)} as `powerclip data export-benchmarks` writes them)");
        return results;
    }

    /// <summary>The benchmarks that compare (image, caption) pairs, and so can use another <see cref="IPairScorer"/>.</summary>
    public static readonly string[] Pairwise = ["sugarcrepe", "winoground", "aro"];

    /// <summary>A pairwise benchmark with a given scorer (e.g. <see cref="PowerClipScorer"/>).</summary>
    public static IBenchmarkResult RunOne(IPairScorer scorer, string name, string dir) => name switch
    {
        "sugarcrepe" => SugarCrepeBenchmark.Run(scorer, dir),
        "winoground" => WinogroundBenchmark.Run(scorer, dir),
        "aro" => AroBenchmark.Run(scorer, dir),
        _ => throw new ArgumentException($"benchmark '{name}' ranks whole score matrices; only {string.Join(", ", Pairwise)} take a pair scorer"),
    };

    /// <summary>One benchmark on its own folder (the folder that holds its files, e.g. export/sugarcrepe).</summary>
    public static IBenchmarkResult RunOne(IEmbeddingEncoder encoder, string name, string dir) => name switch
    {
        "zeroshot" => ZeroShotBenchmark.Run(encoder, dir),
        "retrieval" => RetrievalBenchmark.Run(encoder, dir),
        "sugarcrepe" => SugarCrepeBenchmark.Run(encoder, dir),
        "winoground" => WinogroundBenchmark.Run(encoder, dir),
        "aro" => AroBenchmark.Run(encoder, dir),
        _ => throw new ArgumentException($"unknown benchmark '{name}': expected one of {string.Join(", ", Names)}"),
    };
}
