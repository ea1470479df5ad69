using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PowerClip.Train.Training;

/// <summary>
/// The gradient norm was non-finite too many steps in a row; the run stopped, its last checkpoint untouched.
/// </summary>
public sealed class NonFiniteGradientException(int step, int consecutive, string? lastCheckpoint)
    : Exception($"the gradient norm was NaN or infinite at {consecutive} consecutive steps " +
                $"({step - consecutive + 1} to {step}); the run stopped" +
                (lastCheckpoint is null ? " (no checkpoint was written yet)"
                                        : $"; the last good checkpoint is {lastCheckpoint}"));

/// <summary>A weight became NaN or infinite; no checkpoint was written with it.</summary>
public sealed class NonFiniteWeightsException(int step, string parameter, string? lastCheckpoint)
    : Exception($"parameter {parameter} holds NaN or infinite values after step {step}; no checkpoint was written" +
                (lastCheckpoint is null ? "" : $"; the last good checkpoint is {lastCheckpoint}"));

/// <summary>
/// Non-finite gradients: a step whose (global, after the all-reduce) gradient norm is NaN or infinite is
/// skipped — no optimizer update, as AMP's GradScaler does on overflow — and counted; <see cref="MaxConsecutive"/>
/// skips in a row stop the run. An isolated bad batch is survivable; a run of them means the weights or the
/// optimizer state are broken, and more steps cannot repair that.
/// </summary>
public sealed class NonFiniteGuard(int maxConsecutive)
{
    public int MaxConsecutive { get; } = maxConsecutive >= 1 ? maxConsecutive
        : throw new ArgumentOutOfRangeException(nameof(maxConsecutive), maxConsecutive,
                                                "max consecutive non-finite skips must be >= 1");

    /// <summary>Skipped steps over the whole run (restored from the checkpoint on resume).</summary>
    public int Total { get; set; }

    public int Consecutive { get; private set; }

    /// <summary>
    /// True: take the step. False: skip it (counted). Throws at skip <see cref="MaxConsecutive"/> in a row.
    /// </summary>
    public bool Admit(int step, double gradNorm, string? lastCheckpoint)
    {
        if (double.IsFinite(gradNorm))
        {
            Consecutive = 0;
            return true;
        }
        Total++;
        Consecutive++;
        if (Consecutive >= MaxConsecutive) throw new NonFiniteGradientException(step, Consecutive, lastCheckpoint);
        return false;
    }

    /// <summary>The global L2 norm of the gradients (what the clip would compute), without changing them.</summary>
    public static double GradientNorm(IEnumerable<Parameter> parameters)
    {
        using var noGrad = no_grad();
        var norms = parameters.Where(p => p.grad is not null).Select(p => p.grad!.norm().to(float64)).ToList();
        return norms.Count == 0 ? 0.0 : stack(norms).norm().ToDouble();
    }

    /// <summary>Throws <see cref="NonFiniteWeightsException"/> naming the first parameter that is not finite.</summary>
    public static void CheckWeights(nn.Module module, int step, string? lastCheckpoint)
    {
        using var noGrad = no_grad();
        foreach (var (name, p) in module.named_parameters())
            if (!isfinite(p).all().ToBoolean()) throw new NonFiniteWeightsException(step, name, lastCheckpoint);
    }
}
