using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// The local-negatives forms of the batch-coupled losses (<see cref="Negatives.Local"/>): rank k holds rows
/// <see cref="RankRows.Offset"/> … + b − 1 of the global batch and returns its share of the loss. Why the shares are
/// exact: each loss below is a sum over the global batch's rows and columns of per-row and per-column terms divided
/// by B; rank k computes exactly the terms of its own rows and of its own columns (the same indices), so the shares
/// sum to the one-process loss. Everything a term reads of other ranks — their captions' features, or their part of
/// a column — arrives through <see cref="IFeatureGather.AllGatherWithGrad"/>, whose backward returns to each owner
/// the sum over ranks of the gradient its rows received; with the trainer's sum of the ranks' parameter gradients
/// this is the chain rule of the summed loss, i.e. the one-process gradient.
/// </summary>
public static class LocalNegatives
{
    /// <summary>
    /// Rank k's share of L_CLIP (open_clip's ClipLoss with local_loss and gather_with_grad): logits of its images
    /// against all captions and of its captions against all images, [b, B] each, targets at columns Offset + i;
    /// summed cross-entropies over 2B, so the shares add up to the mean over the global batch. The logit scale
    /// is used whole by every rank's share: its gradients, summed over ranks, are ∂L/∂s (no <c>Replicated</c>).
    /// </summary>
    public static Tensor ClipShare(IFeatureGather ranks, Tensor image, Tensor text, Tensor logitScale)
    {
        InputChecks.SameBatch(image.shape[0], "image embeddings", text.shape[0], "text embeddings");
        using var scope = torch.NewDisposeScope();
        var rows = RankRows.Of(ranks, image.shape[0]);
        var allText = ranks.AllGatherWithGrad(text);
        var allImage = ranks.AllGatherWithGrad(image);
        var labels = Targets(rows, image.device);
        var sum = nn.Reduction.Sum;
        var perImage = nn.functional.cross_entropy(logitScale * torch.matmul(image, allText.t()), labels,
                                                   reduction: sum);
        var perText = nn.functional.cross_entropy(logitScale * torch.matmul(text, allImage.t()), labels,
                                                  reduction: sum);
        return ((perImage + perText) / (2.0 * rows.Total)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Rank k's share of ℓ_δ(S̄) + ℓ_δ(S̄ᵀ) (<see cref="TripletLoss.Hardest"/>) from its block of S̄: its b image rows
    /// against all B captions, [b, B]. Row i's hardest negative is in the block (a row is whole on its rank). Column
    /// j's is the largest of the ranks' column maxima over their own rows: one gather of B values, with gradient,
    /// so the hinge of column j (computed by j's owner, who also holds S̄[j, j]) sends its gradient to the rank that
    /// holds the hardest row — the one entry one process's amax would send it to (for inputs without ties). No rank
    /// computes the B × b block of the transpose. Returns (share, sum of this rank's positives S̄[i, i]).
    /// </summary>
    public static (Tensor Share, Tensor PositiveSum) TripletShare(IFeatureGather ranks, Tensor block, RankRows rows,
                                                                  double delta)
    {
        InputChecks.Shape(block, "triplet score block", rows.Count, rows.Total);
        using var scope = torch.NewDisposeScope();
        var own = Targets(rows, block.device).unsqueeze(1);                                       // [b, 1]: S̄[i, i]
        var positive = block.gather(1, own).squeeze(1);
        if (rows.Total < 2)                                                                     // no negatives at all
            return (torch.zeros([], block.dtype, block.device).MoveToOuterDisposeScope(),
                    positive.sum().MoveToOuterDisposeScope());
        var diagonal = torch.zeros(block.shape, ScalarType.Bool, block.device)
            .scatter_(1, own, torch.ones_like(own, ScalarType.Bool));
        var negatives = block.masked_fill(diagonal, double.NegativeInfinity);
        var rowHinges = (negatives.amax(1) - positive + delta).relu().sum();
        var columnMax = ranks.AllGatherWithGrad(negatives.amax(0).unsqueeze(0)).amax(0);          // [B], max over ranks
        var columnHinges = (columnMax.narrow(0, rows.Offset, rows.Count) - positive + delta).relu().sum();
        var share = (rowHinges + columnHinges) / rows.Total;
        return (share.MoveToOuterDisposeScope(), positive.sum().MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Σ over this rank's columns j of log Σ_i exp(logits[i, j]) over all B rows of the global batch, from this rank's
    /// rows [b, B]: each rank's log-sum-exp over its rows, gathered with gradient, then the log-sum-exp over ranks.
    /// </summary>
    public static Tensor ColumnLogSumExp(IFeatureGather ranks, Tensor logits, RankRows rows)
    {
        using var scope = torch.NewDisposeScope();
        var all = ranks.AllGatherWithGrad(logits.logsumexp(0).unsqueeze(0)).logsumexp(0);     // [B]
        return all.narrow(0, rows.Offset, rows.Count).MoveToOuterDisposeScope();
    }

    /// <summary>The global columns of this rank's rows: Offset … Offset + b − 1.</summary>
    public static Tensor Targets(RankRows rows, Device device) =>
        torch.arange(rows.Offset, rows.Offset + rows.Count, dtype: ScalarType.Int64, device: device);
}
