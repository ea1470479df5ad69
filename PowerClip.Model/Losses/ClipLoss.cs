using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>Symmetric InfoNCE with open_clip's ClipLoss semantics: mean of CE over rows and CE over columns, targets on
/// the diagonal.</summary>
public static class ClipLoss
{
    /// <summary>Loss from logits [B, B] (row i = image i).</summary>
    public static Tensor FromLogits(Tensor logits)
    {
        InputChecks.Shape(logits, "logits", -1, logits.shape[0]);
        using var scope = torch.NewDisposeScope();
        var labels = torch.arange(logits.shape[0], device: logits.device);
        var loss = (nn.functional.cross_entropy(logits, labels) + nn.functional.cross_entropy(logits.t(), labels)) / 2;
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Loss from normalized embeddings [B, E] and the logit-scale multiplier.</summary>
    public static Tensor Compute(Tensor imageEmbeds, Tensor textEmbeds, Tensor logitScale)
    {
        InputChecks.SameBatch(imageEmbeds.shape[0], "image embeddings", textEmbeds.shape[0], "text embeddings");
        using var scope = torch.NewDisposeScope();
        return FromLogits(logitScale * torch.matmul(imageEmbeds, textEmbeds.t())).MoveToOuterDisposeScope();
    }
}

/// <summary>Hardest-negative triplet loss ℓ_δ(X) = (1/C) Σ_i max(0, max_{j≠i} X[i,j] − X[i,i] + δ) over the rows of
/// X.</summary>
public static class TripletLoss
{
    public static Tensor Hardest(Tensor x, double delta)
    {
        InputChecks.Shape(x, "triplet scores", -1, x.shape[0]);
        using var scope = torch.NewDisposeScope();
        var n = x.shape[0];
        if (n < 2) return torch.zeros([], dtype: x.dtype, device: x.device).MoveToOuterDisposeScope();   // no negatives
        var eye = torch.eye(n, dtype: ScalarType.Bool, device: x.device);
        var hardest = x.masked_fill(eye, double.NegativeInfinity).amax(1);
        return (hardest - x.diagonal() + delta).relu().mean().MoveToOuterDisposeScope();
    }
}

/// <summary>CLIP: the symmetric InfoNCE on the global embeddings.</summary>
public sealed class ClipObjective : IContrastiveObjective
{
    public string Name => "clip";

    /// <summary>How a data-parallel job splits the loss (<see cref="Model.Negatives"/>).</summary>
    public Negatives Negatives { get; init; } = Negatives.Local;

    public LossOutput Compute(ObjectiveInputs inputs)
    {
        var o = inputs.Outputs;
        Objectives.CheckOutputs(o);
        var loss = Share(inputs, Negatives);
        return new LossOutput(loss, new Dictionary<string, Tensor> { ["clip"] = loss });
    }

    /// <summary>
    /// This rank's share of L_CLIP of the global batch (the whole loss in one process): with global negatives every
    /// rank's global embeddings gathered without gradient and the logit scale replicated; with local negatives
    /// open_clip's local_loss (<see cref="LocalNegatives.ClipShare"/>).
    /// </summary>
    internal static Tensor Share(ObjectiveInputs inputs, Negatives negatives)
    {
        var (o, ranks) = (inputs.Outputs, inputs.Ranks);
        if (ranks.Size == 1) return ClipLoss.Compute(o.ImageEmbeds, o.TextEmbeds, o.LogitScale);
        if (negatives == Negatives.Local)
            return LocalNegatives.ClipShare(ranks, o.ImageEmbeds, o.TextEmbeds, o.LogitScale);
        using var scope = torch.NewDisposeScope();
        var global = ClipLoss.Compute(ranks.AllGather(o.ImageEmbeds), ranks.AllGather(o.TextEmbeds),
                                      ranks.Replicated(o.LogitScale));
        return ranks.ShareOfReplicated(global).MoveToOuterDisposeScope();
    }
}

/// <summary>FLIP: CLIP with random patch dropping in the image encoder (<see cref="FlipSettings"/>: keep ratio 0.5 by
/// default, FLIP's main setting).</summary>
public sealed class FlipObjective(FlipSettings settings) : IContrastiveObjective
{
    public FlipObjective(double keepRatio = 0.5) : this(new FlipSettings { KeepRatio = keepRatio }) { }

    public string Name => "flip";

    public double PatchKeepRatio { get; } = settings.KeepRatio > 0 && settings.KeepRatio <= 1 ? settings.KeepRatio
        : throw new ArgumentOutOfRangeException(nameof(settings),
            $"FLIP keep ratio must be in (0, 1], got {settings.KeepRatio}");

    /// <summary>How a data-parallel job splits the loss (<see cref="Model.Negatives"/>).</summary>
    public Negatives Negatives { get; init; } = Negatives.Local;

    public LossOutput Compute(ObjectiveInputs inputs) => new ClipObjective { Negatives = Negatives }.Compute(inputs);
}
