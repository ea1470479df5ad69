namespace PowerClip.Train.Training;

/// <summary>Linear warm-up then cosine decay (open_clip's default): the paper's lr 1e-3, 10k warm-up steps.</summary>
public sealed record LrSchedule(double BaseLr, int WarmupSteps, int TotalSteps, double MinLr = 0.0)
{
    /// <summary>Learning rate for optimizer step <paramref name="step"/> (0-based).</summary>
    public double At(int step)
    {
        if (step < WarmupSteps) return BaseLr * (step + 1) / WarmupSteps;
        var decaySteps = Math.Max(1, TotalSteps - WarmupSteps);
        var progress = Math.Clamp((double)(step - WarmupSteps) / decaySteps, 0.0, 1.0);
        return MinLr + 0.5 * (BaseLr - MinLr) * (1.0 + Math.Cos(Math.PI * progress));
    }

    public void Validate()
    {
        if (!(BaseLr > 0) || double.IsInfinity(BaseLr)) throw new ArgumentException(
            $"lr must be a positive finite number, got {BaseLr}");
        if (WarmupSteps < 0) throw new ArgumentException($"warmup steps must be >= 0, got {WarmupSteps}");
        if (TotalSteps < 1) throw new ArgumentException($"total steps must be >= 1, got {TotalSteps}");
        if (MinLr < 0 || MinLr > BaseLr) throw new ArgumentException($"min lr must be in [0, lr], got {MinLr}");
    }
}
