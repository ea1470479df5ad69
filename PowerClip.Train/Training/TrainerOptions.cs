namespace PowerClip.Train.Training;

/// <summary>Optimizer and loop settings (AdamW; the paper: β = 0.9/0.98, wd 0.2, lr 1e-3, 10k warm-up,
/// cosine).</summary>
public sealed record TrainerOptions
{
    public int Steps { get; init; } = 1000;
    public double Lr { get; init; } = 1e-3;
    public double MinLr { get; init; } = 0.0;
    public int WarmupSteps { get; init; } = 100;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.98;
    public double Eps { get; init; } = 1e-6;
    public double WeightDecay { get; init; } = 0.2;
    /// <summary>Global gradient-norm clip; 0 disables.</summary>
    public double GradClip { get; init; } = 1.0;
    public int AccumulationSteps { get; init; } = 1;
    public int Seed { get; init; } = 0;
    public int CheckpointEvery { get; init; } = 100;
    public int KeepCheckpoints { get; init; } = 3;
    public int LogEvery { get; init; } = 1;
    /// <summary>
    /// Consecutive steps with a NaN or infinite gradient norm (each skipped) that stop the run. 5 (ours): an isolated
    /// overflow is skipped; five different batches in a row mean the weights or optimizer state are broken.
    /// </summary>
    public int MaxNonFiniteSkips { get; init; } = 5;

    public LrSchedule Schedule => new(Lr, WarmupSteps, Steps, MinLr);

    public void Validate()
    {
        Schedule.Validate();
        if (Beta1 is < 0 or >= 1 || Beta2 is < 0 or >= 1) throw new ArgumentException(
            $"betas must be in [0, 1), got ({Beta1}, {Beta2})");
        if (!(Eps > 0)) throw new ArgumentException($"eps must be > 0, got {Eps}");
        if (WeightDecay < 0) throw new ArgumentException($"weight decay must be >= 0, got {WeightDecay}");
        if (GradClip < 0) throw new ArgumentException($"grad clip must be >= 0 (0 disables), got {GradClip}");
        if (AccumulationSteps < 1) throw new ArgumentException(
            $"accumulation steps must be >= 1, got {AccumulationSteps}");
        if (CheckpointEvery < 1) throw new ArgumentException(
            $"checkpoint interval must be >= 1, got {CheckpointEvery}");
        if (KeepCheckpoints < 1) throw new ArgumentException($"keep checkpoints must be >= 1, got {KeepCheckpoints}");
        if (LogEvery < 1) throw new ArgumentException($"log interval must be >= 1, got {LogEvery}");
        if (MaxNonFiniteSkips < 1)
            throw new ArgumentException($"max non-finite skips must be >= 1, got {MaxNonFiniteSkips}");
    }
}
