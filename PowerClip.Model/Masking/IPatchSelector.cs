using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>What a patch selector may look at before the vision transformer runs.</summary>
/// <param name="Images">the model's input images [B, 3, H, W] (normalised pixels)</param>
/// <param name="PatchEmbeddings">conv1 patch embeddings plus positional embeddings [B, N, W], detached</param>
/// <param name="GridSize">patches per side (N = GridSize²)</param>
/// <param name="PatchSize">pixels per patch side</param>
/// <param name="Generator">random source (null: torch's global generator, which the trainer reseeds per step)</param>
/// <param name="Progress">training progress in [0, 1): step / total steps (CLIP-PGS mixes its similarities by
/// it)</param>
public sealed record PatchSelectionInputs(Tensor Images, Tensor PatchEmbeddings, int GridSize, int PatchSize,
    Generator? Generator, double Progress);

/// <summary>
/// The patches each image keeps: indices <paramref name="Keep"/> [B, K] (int64) into the N patches, and
/// <paramref name="Visible"/> [B, K] (bool) — false marks a filler: a patch kept only so every image has K
/// tokens, hidden from attention and from average pooling (CLIP-PGS and E-CLIP, when an image keeps fewer
/// than K patches). Null Visible: every kept patch is visible.
/// </summary>
public sealed record PatchSelection(Tensor Keep, Tensor? Visible = null);

/// <summary>
/// Chooses which patches the vision encoder sees in a training forward pass: random for FLIP, clusters of
/// similar patches removed for E-CLIP, edge-guided generation then selection for CLIP-PGS, the EMA
/// encoder's most attended blocks for A-CLIP. Runs without gradient; its choice is discrete.
/// </summary>
public interface IPatchSelector
{
    PatchSelection Select(PatchSelectionInputs inputs);
}

/// <summary>Where a training forward pass is: its random source and the step (masking schedules and EMA read
/// it).</summary>
/// <param name="Generator">null: torch's global generator (reseeded by the trainer per step)</param>
public sealed record ForwardContext(Generator? Generator = null, int Step = 0, int TotalSteps = 1)
{
    public static ForwardContext Default { get; } = new();

    /// <summary>step / total steps, in [0, 1].</summary>
    public double Progress => TotalSteps <= 0 ? 0 : Math.Clamp((double)Step / TotalSteps, 0, 1);
}

/// <summary>FLIP's random masking: keep round(N·keep) patches per image, uniformly without replacement.</summary>
public sealed class RandomPatchSelector : IPatchSelector
{
    public double KeepRatio { get; }

    public RandomPatchSelector(double keepRatio) =>
        KeepRatio = keepRatio > 0 && keepRatio <= 1 ? keepRatio
            : throw new ArgumentOutOfRangeException(nameof(keepRatio),
            $"patch keep ratio must be in (0, 1], got {keepRatio}");

    public PatchSelection Select(PatchSelectionInputs inputs)
    {
        var e = inputs.PatchEmbeddings;
        long b = e.shape[0], n = e.shape[1];
        var keep = Math.Max(1L, (long)Math.Round(n * KeepRatio));
        var noise = torch.rand(b, n, generator: inputs.Generator, device: e.device);
        return new PatchSelection(noise.argsort(1)[.., ..(int)keep]);
    }
}
