using PowerClip.Model;
using PowerClip.Train.Training;

namespace PowerClip.Train.Demo;

/// <summary>
/// The demo's budget: one synthetic world, CLIP and PowerCLIP trained with the same model, data, steps and
/// seed. Defaults take about 11 minutes on 2 idle CPU cores; --quick for about one minute.
/// </summary>
public sealed record DemoSettings
{
    public string Model { get; init; } = "demo";
    public int Steps { get; init; } = 4000;
    public int BatchSize { get; init; } = 64;
    public int WorldSamples { get; init; } = 20000;
    public int Regions { get; init; } = 10;
    public int Seed { get; init; } = 0;
    /// <summary>Items per held-out benchmark export (SugarCrepe categories, Winoground pairs, ARO,
    /// retrieval).</summary>
    public int BenchmarkItems { get; init; } = 500;
    public int ZeroShotPerClass { get; init; } = 8;
    /// <summary>
    /// The objectives' settings: the trainer's defaults (PowerClipLossConfig: λ = 0.2, δ = 0.2 [reconstructed] on
    /// S̄ divided by M [reconstructed], i.e. λ = 0.02, δ = 2 on the literal S̄; the grid against it: docs/demo.md).
    /// </summary>
    public ObjectiveSettings LossSettings { get; init; } = new();

    /// <summary>About one minute on 2 idle cores (measured: 300 steps of 64 took 28 s per arm).</summary>
    public static DemoSettings Quick { get; } = new()
    {
        Steps = 400, BatchSize = 64, WorldSamples = 6000, BenchmarkItems = 300, ZeroShotPerClass = 4,
    };

    /// <summary>The training config of one arm of the comparison; the two differ only in the loss.</summary>
    public TrainConfig TrainConfig(string loss) => new TrainConfig
    {
        Model = Model,
        Data = "world",
        WorldSamples = WorldSamples,
        BatchSize = BatchSize,
        Regions = Regions,
        RegionSource = "masks",
        LossSettings = LossSettings,
        Optimizer = new TrainerOptions
        {
            Steps = Steps, Lr = 1e-3, WarmupSteps = Math.Max(1, Steps / 10), Seed = Seed,
            CheckpointEvery = Math.Max(1, Steps / 4), LogEvery = 1,
        },
    }.WithLoss(loss);
}
