using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>What an objective sees of a batch: the model's outputs plus, for PowerCLIP, region masks [B, M, N] and phrase trees.</summary>
public sealed record ObjectiveInputs(ClipOutputs Outputs, Tensor? RegionMasks = null, PhraseBatch? Phrases = null);

/// <summary>A loss value and its named parts (all scalar tensors; the caller decides when to read them).</summary>
public sealed record LossOutput(Tensor Total, IReadOnlyDictionary<string, Tensor> Parts);

/// <summary>The interface every training objective (CLIP, FLIP, FILIP, SPARC, E-CLIP, CLIP-PGS, A-CLIP, PowerCLIP)
/// implements.</summary>
public interface IContrastiveObjective
{
    string Name { get; }
    /// <summary>Fraction of image patches the model keeps in the forward pass (FLIP &lt; 1; others 1).</summary>
    double PatchKeepRatio => 1.0;
    bool NeedsRegions => false;
    bool NeedsPhrases => false;
    /// <summary>Whether the training forward pass draws random numbers (data-parallel ranks then get generators of
    /// their own).</summary>
    bool RandomForward => PatchKeepRatio < 1;

    /// <summary>The training forward pass: masking objectives choose which patches the vision encoder sees.</summary>
    ClipOutputs Forward(ClipModel model, Tensor images, Tensor tokens, ForwardContext context) =>
        model.Forward(images, tokens, PatchKeepRatio < 1 ? new RandomPatchSelector(PatchKeepRatio) : null, context);

    LossOutput Compute(ObjectiveInputs inputs);
}

/// <summary>
/// An objective with state of its own beside the model (A-CLIP: projection heads, trained; an EMA copy of the
/// vision encoder, not trained). The trainer optimises <see cref="State"/>'s trainable parameters with the
/// model's, checkpoints its whole state dict, and calls <see cref="AfterOptimizerStep"/> after every step.
/// </summary>
public interface IStatefulObjective : IContrastiveObjective
{
    /// <summary>The state (valid after <see cref="Attach"/>).</summary>
    nn.Module State { get; }

    /// <summary>Builds the state for this model (EMA copies start equal to the model); once, before training.</summary>
    void Attach(ClipModel model);

    /// <summary>After optimizer step <paramref name="completedSteps"/> − 1 of <paramref name="totalSteps"/> (EMA
    /// updates).</summary>
    void AfterOptimizerStep(ClipModel model, int completedSteps, int totalSteps);
}

/// <summary>Objective names as the program accepts them.</summary>
public static class Objectives
{
    public static IReadOnlyList<string> Names { get; } = ["clip", "flip", "filip", "sparc", "e-clip", "clip-pgs",
        "a-clip", "powerclip", "powerclip-exact"];

    public static IContrastiveObjective Create(string name, PowerClipLossConfig? powerClip = null,
        BaselineSettings? baselines = null) => name switch
    {
        "clip" => new ClipObjective(),
        "flip" => new FlipObjective((baselines ?? new()).Flip),
        "filip" => new FilipObjective(),
        "sparc" => new SparcObjective((baselines ?? new()).Sparc),
        "e-clip" => ClusterMaskingObjective.EClip((baselines ?? new()).EClip),
        "clip-pgs" => ClusterMaskingObjective.ClipPgs((baselines ?? new()).ClipPgs),
        "a-clip" => new AClipObjective((baselines ?? new()).AClip),
        "powerclip" => new PowerClipLoss(powerClip ?? new PowerClipLossConfig()),
        "powerclip-exact" => new PowerClipLoss((powerClip ?? new PowerClipLossConfig()) with { Aggregation = PowersetAggregation.Exact }),
        _ => throw new ArgumentException($"unknown objective '{name}': expected one of {string.Join(", ", Names)}"),
    };

    /// <summary>
    /// Moves a loss and its parts out of the caller's dispose scope, each distinct tensor exactly once
    /// (moving a tensor twice would hand it to the scope above the caller's).
    /// </summary>
    internal static LossOutput Escape(Tensor total, IReadOnlyDictionary<string, Tensor> parts)
    {
        foreach (var t in parts.Values.Append(total).Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>())
            t.MoveToOuterDisposeScope();
        return new LossOutput(total, parts);
    }

    /// <summary>Shared checks: equal batch sizes and finite features, naming the offending sample.</summary>
    internal static void CheckOutputs(ClipOutputs o)
    {
        var b = o.ImageEmbeds.shape[0];
        InputChecks.SameBatch(b, "image embeddings", o.TextEmbeds.shape[0], "text embeddings");
        InputChecks.SameBatch(b, "image embeddings", o.PatchTokens.shape[0], "patch tokens");
        InputChecks.SameBatch(b, "image embeddings", o.TokenFeatures.shape[0], "token features");
        InputChecks.Finite(o.ImageEmbeds, "image embeddings");
        InputChecks.Finite(o.TextEmbeds, "text embeddings");
    }

    /// <summary>CheckOutputs plus finite patch tokens and token features, for the token-level objectives (FILIP, SPARC).</summary>
    internal static void CheckTokenOutputs(ClipOutputs o)
    {
        CheckOutputs(o);
        InputChecks.Finite(o.PatchTokens, "patch tokens");
        InputChecks.Finite(o.TokenFeatures, "token features");
    }
}
