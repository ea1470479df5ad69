using PowerClip.Train.Training;

namespace PowerClip.Train.Study;

/// <summary>
/// What every arm of a study gets: one model preset, data (the synthetic world, same seed for all), optimizer budget,
/// M, the seeds, the benchmark sizes and the bootstrap replicates. Arms differ only in the method (objective and, for
/// PowerCLIP-R/-S, the region source) and the seed.
/// </summary>
public sealed record StudyBudget
{
    public string Name { get; init; } = "standard";
    public string Model { get; init; } = "demo";
    public int Steps { get; init; } = 2500;
    public int BatchSize { get; init; } = 64;
    public int WorldSamples { get; init; } = 20000;
    public int Regions { get; init; } = 10;
    public IReadOnlyList<int> Seeds { get; init; } = [0, 1, 2];
    /// <summary>Scenes per benchmark export (SugarCrepe, Winoground, ARO, retrieval, grounding).</summary>
    public int BenchmarkItems { get; init; } = 500;
    public int ZeroShotPerClass { get; init; } = 8;
    public int BootstrapReplicates { get; init; } = 1000;
    /// <summary>A pipeline check, not a measurement: its numbers mean nothing and the report says so.</summary>
    public bool SmokeTest { get; init; }

    /// <summary>
    /// The CI budget: a smoke test of the whole pipeline (train, evaluate, bootstrap, report) in well under three
    /// minutes on 2 cores: the tiny preset (32 px, patch 8), 12 steps of batch 16, two seeds, 16 items per benchmark.
    /// </summary>
    public static StudyBudget Quick { get; } = new()
    {
        Name = "quick", Model = "tiny", Steps = 12, BatchSize = 16, WorldSamples = 128, Seeds = [0, 1],
        BenchmarkItems = 16, ZeroShotPerClass = 1, BootstrapReplicates = 200, SmokeTest = true,
    };

    /// <summary>
    /// The study's measurement: the demo's preset and data with three seeds. 2,500 steps were sized by
    /// scripts/study-cost.sh to fit about 2.5 h on 2 cores; the full run took 1 h 42 min (docs/reproduction.md,
    /// "Budget").
    /// </summary>
    public static StudyBudget Standard { get; } = new();

    public static StudyBudget Named(string name) => name switch
    {
        "quick" => Quick,
        "standard" => Standard,
        _ => throw new ArgumentException($"unknown budget '{name}': expected quick or standard"),
    };

    /// <summary>One arm's training config: the same for every method but the objective and region source.</summary>
    public TrainConfig TrainConfig(StudyMethod method, int seed) => new TrainConfig
    {
        Model = Model,
        Data = "world",
        WorldSamples = WorldSamples,
        BatchSize = BatchSize,
        Regions = Regions,
        RegionSource = method.RegionSource,
        Optimizer = new TrainerOptions
        {
            Steps = Steps, Lr = 1e-3, WarmupSteps = Math.Max(1, Steps / 10), Seed = seed,
            CheckpointEvery = Math.Max(1, Steps / 4), LogEvery = 1,
        },
    }.WithLoss(method.Loss);

    public StudyBudget Validate()
    {
        if (Seeds.Count == 0) throw new ArgumentException("a study needs at least one seed");
        if (Seeds.Distinct().Count() != Seeds.Count)
            throw new ArgumentException($"seeds repeat: {string.Join(",", Seeds)}");
        if (BenchmarkItems < 1 || ZeroShotPerClass < 1)
            throw new ArgumentException("benchmark items and zero-shot images per class must be >= 1");
        if (BootstrapReplicates < 100)
            throw new ArgumentException($"bootstrap replicates must be >= 100, got {BootstrapReplicates}");
        TrainConfig(StudyMethods.All[0], Seeds[0]).Validate();
        return this;
    }
}
