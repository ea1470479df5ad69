using PowerClip.Model;
using PowerClip.Data;
using PowerClip.Train.Models;
using PowerClip.Train.Training.Distributed;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Training;

/// <summary>Builds a run's objective and data feed from a <see cref="TrainConfig"/> (the model: <see
/// cref="ModelFactory"/>).</summary>
public static class TrainingSetup
{
    public static IContrastiveObjective Objective(TrainConfig config) =>
        Objectives.Create(config.Loss, config.LossSettings);

    /// <summary>
    /// The training feed for the configured data, with a log for skipped samples. With a context of K &gt; 1
    /// ranks, this rank's disjoint part: the in-memory synthetic world by blocks of the batch size (global
    /// batch k = one process's batch k of K·BatchSize), WebDataset shards by shard, CSV and the streamed
    /// world by record after the shuffle, before decoding (<see cref="RankStride"/>).
    /// </summary>
    public static SampleFeed Feed(TrainConfig config, ModelInputs inputs, DataProblems problems,
        IDistributedContext? distributed = null)
    {
        int rank = distributed?.Rank ?? 0, ranks = distributed?.Size ?? 1;
        var stride = new RankStride(rank, ranks);
        var transform = inputs.TrainingTransform(config.Augment) with { MaskCoverage = config.MaskCoverage };
        var preparer = new SamplePreparer(transform, inputs.Tokenizer, problems, config.Optimizer.Seed);
        var options = new StreamOptions(ShuffleBuffer: config.ShuffleBuffer, Seed: config.Optimizer.Seed,
                                        Parallelism: config.DataThreads);
        if (config.Data == "world")
        {
            if (config.Augment) // augmentation differs per epoch: prepare on the fly
            {
                var generator = World(config, inputs.Model);
                var streamed = new WorldSource(generator, WorldSplit.Train, config.WorldSamples, options, stride);
                return SampleFeed.Streaming(streamed, preparer, options);
            }
            var world = World(config, inputs.Model);
            var prepared = Enumerable.Range(0, config.WorldSamples)
                .ParallelMap(i => preparer.Prepare(world.Sample(WorldSplit.Train, i).ToRaw()), options.Threads)
                .ToArray();
            return SampleFeed.InMemory(prepared, config.Optimizer.Seed, rank, ranks, config.BatchSize);
        }
        IResumableSource source = config.Data.StartsWith("wds:", StringComparison.Ordinal)
            ? new WebDatasetSource(config.Data[4..], options, problems, rank, ranks)
            : new CsvSource(RequireFile(config.Data[4..]), options, problems, stride: stride);
        return SampleFeed.Streaming(source, preparer, options);
    }

    public static SyntheticWorld World(TrainConfig config, ClipConfig model) =>
        new(new WorldConfig(model.Vision.ImageSize, model.Vision.PatchSize, Seed: config.WorldSeed));

    private static string RequireFile(string path) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"data file not found: {path}");
}
