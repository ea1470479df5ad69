using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>What an objective sees of a batch: the model's outputs plus, for PowerCLIP, region masks [B, M, N] and phrase trees.</summary>
public sealed record ObjectiveInputs(ClipOutputs Outputs, Tensor? RegionMasks = null, PhraseBatch? Phrases = null);

/// <summary>A loss value and its named parts (all scalar tensors; the caller decides when to read them).</summary>
public sealed record LossOutput(Tensor Total, IReadOnlyDictionary<string, Tensor> Parts);

/// <summary>The interface every training objective (CLIP, FLIP, FILIP, SPARC, PowerCLIP) implements.</summary>
public interface IContrastiveObjective
{
    string Name { get; }
    /// <summary>Fraction of image patches the model keeps in the forward pass (FLIP &lt; 1; others 1).</summary>
    double PatchKeepRatio => 1.0;
    bool NeedsRegions => false;
    bool NeedsPhrases => false;
    LossOutput Compute(ObjectiveInputs inputs);
}

/// <summary>Objective names as the program accepts them.</summary>
public static class Objectives
{
    public static IReadOnlyList<string> Names { get; } = ["clip", "flip", "filip", "sparc", "powerclip", "powerclip-exact"];

    public static IContrastiveObjective Create(string name, PowerClipLossConfig? powerClip = null) => name switch
    {
        "clip" => new ClipObjective(),
        "flip" => new FlipObjective(),
        "filip" => new FilipObjective(),
        "sparc" => new SparcObjective(),
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
