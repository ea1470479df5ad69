using PowerClip.Model;
using PowerClip.Data;
using PowerClip.Train.Training.Distributed;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Training;

/// <summary>Builds model, tokenizer, objective and data feed from a <see cref="TrainConfig"/>.</summary>
public static class TrainingSetup
{
    /// <summary>
    /// The model config for a preset and tokenizer: the text tower's vocabulary follows the tokenizer
    /// (GPT-2's 50258 ids by default, where the presets name CLIP's 49408).
    /// </summary>
    public static ClipConfig ModelConfig(string preset, CaptionTokenizer tokenizer)
    {
        var config = Presets.Load(preset);
        return config with { Text = config.Text with { VocabSize = tokenizer.VocabSize, PadId = CaptionTokenizer.PadId } };
    }

    public static CaptionTokenizer Tokenizer(string preset) => CaptionTokenizer.Gpt2(Presets.Load(preset).Text.ContextLength);

    public static IContrastiveObjective Objective(TrainConfig config) => config.Loss switch
    {
        "clip" or "flip" or "filip" or "sparc" or "e-clip" or "clip-pgs" or "a-clip"
            => Objectives.Create(config.Loss, baselines: config.Baselines),
        _ => new PowerClipLoss(config.ObjectiveSettings()),
    };

    /// <summary>The model, initialised from the run's seed so that two runs with one seed start equal.</summary>
    public static ClipModel CreateModel(ClipConfig config, int seed, Device device)
    {
        torch.manual_seed(seed);
        var model = new ClipModel(config);
        model.to(device);
        return model;
    }

    /// <summary>
    /// The training feed for the configured data, with a log for skipped samples. With a context of K &gt; 1
    /// ranks, this rank's disjoint part: the in-memory synthetic world by blocks of the batch size (global
    /// batch k = one process's batch k of K·BatchSize), WebDataset shards by shard, CSV and the streamed
    /// world by sample (<see cref="RankStridedSource"/>).
    /// </summary>
    public static SampleFeed Feed(TrainConfig config, ClipConfig model, CaptionTokenizer tokenizer, DataProblems problems, IDistributedContext? distributed = null)
    {
        int rank = distributed?.Rank ?? 0, ranks = distributed?.Size ?? 1;
        IRawSampleSource Split(IRawSampleSource source) => ranks > 1 ? new RankStridedSource(source, rank, ranks) : source;
        var transform = new ImageTransform(model.Vision.ImageSize, model.Vision.PatchSize, config.Augment);
        var preparer = new SamplePreparer(transform, tokenizer, problems, config.Optimizer.Seed);
        var options = new StreamOptions(Seed: config.Optimizer.Seed, Parallelism: config.DataThreads);
        if (config.Data == "world")
        {
            if (config.Augment) // augmentation differs per epoch: prepare on the fly
                return SampleFeed.Streaming(Split(new WorldSource(World(config, model), WorldSplit.Train, config.WorldSamples, options)), preparer, options);
            var world = World(config, model);
            var prepared = Enumerable.Range(0, config.WorldSamples)
                .ParallelMap(i => preparer.Prepare(world.Sample(WorldSplit.Train, i).ToRaw()), options.Threads)
                .ToArray();
            return SampleFeed.InMemory(prepared, config.Optimizer.Seed, rank, ranks, config.BatchSize);
        }
        IRawSampleSource source = config.Data.StartsWith("wds:", StringComparison.Ordinal)
            ? new WebDatasetSource(config.Data[4..], options, problems, rank, ranks)
            : Split(new CsvSource(RequireFile(config.Data[4..]), options, problems));
        return SampleFeed.Streaming(source, preparer, options);
    }

    public static SyntheticWorld World(TrainConfig config, ClipConfig model) =>
        new(new WorldConfig(model.Vision.ImageSize, model.Vision.PatchSize, Seed: config.WorldSeed));

    private static string RequireFile(string path) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"data file not found: {path}");
}
