using PowerClip.Train.Training;

namespace PowerClip.Train.Demo;

/// <summary>
/// The demo's budget: one synthetic world, CLIP and PowerCLIP trained with the same model, data, steps and
/// seed. Defaults are sized for about 15 minutes on 2 CPU cores; --quick for under 2 minutes.
/// </summary>
public sealed record DemoSettings
{
    public string Model { get; init; } = "demo";
    public int Steps { get; init; } = 300;
    public int BatchSize { get; init; } = 64;
    public int WorldSamples { get; init; } = 6000;
    public int Regions { get; init; } = 10;
    public int Seed { get; init; } = 0;
    /// <summary>Items per held-out benchmark export (SugarCrepe categories, Winoground pairs, ARO, retrieval).</summary>
    public int BenchmarkItems { get; init; } = 300;
    public int ZeroShotPerClass { get; init; } = 4;

    public static DemoSettings Quick { get; } = new()
    {
        Steps = 40, BatchSize = 32, WorldSamples = 1200, BenchmarkItems = 80, ZeroShotPerClass = 2,
    };

    /// <summary>The training config of one arm of the comparison; the two differ only in the loss.</summary>
    public TrainConfig TrainConfig(string loss) => new()
    {
        Model = Model,
        Loss = loss,
        Data = "world",
        WorldSamples = WorldSamples,
        BatchSize = BatchSize,
        Regions = Regions,
        RegionSource = "masks",
        Optimizer = new TrainerOptions
        {
            Steps = Steps, Lr = 1e-3, WarmupSteps = Math.Max(1, Steps / 10), Seed = Seed,
            CheckpointEvery = Math.Max(1, Steps / 4), LogEvery = 1,
        },
    };
}
