using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// The PowerCLIP objective: L = L_CLIP + λ·(ℓ_δ(S̄) + ℓ_δ(S̄ᵀ)), S̄[i,j] = T2R + R2T from region embeddings
/// φ (masked pooling of patch tokens) and node embeddings p_B = Σ_{l∈B} ψ_l. Negatives come from the
/// global batch (the local batch in one process); S̄ is computed in chunks (ChunkedScores) so memory is linear
/// in the batch size.
/// </summary>
public sealed class PowerClipLoss(PowerClipLossConfig config) : IContrastiveObjective
{
    public PowerClipLossConfig Config { get; } = config.Validate();

    public string Name => Config.Aggregation == PowersetAggregation.Exact ? "powerclip-exact" : "powerclip";
    public bool NeedsRegions => true;
    public bool NeedsPhrases => true;

    public LossOutput Compute(ObjectiveInputs inputs)
    {
        var o = inputs.Outputs;
        Objectives.CheckOutputs(o);
        var masks = inputs.RegionMasks ?? throw new ArgumentException(
            "PowerCLIP needs region masks (ObjectiveInputs.RegionMasks)");
        var phrases = inputs.Phrases ?? throw new ArgumentException(
            "PowerCLIP needs caption trees (ObjectiveInputs.Phrases)");
        InputChecks.SameBatch(o.ImageEmbeds.shape[0], "images", masks.shape[0], "region masks");
        InputChecks.SameBatch(o.TextEmbeds.shape[0], "captions", phrases.Batch, "caption trees");
        InputChecks.Finite(o.PatchTokens, "patch tokens");
        InputChecks.Finite(o.TokenFeatures, "token features");
        using var scope = torch.NewDisposeScope();
        var phi = RegionPooling.Embed(o.PatchTokens, masks);
        var psi = phrases.LeafEmbeddings(o.TokenFeatures);
        var ranks = inputs.Ranks;
        var result = ranks.Size == 1
            ? FromEmbeddings(o.ImageEmbeds, o.TextEmbeds, o.LogitScale, phi, psi, phrases, inputs.DrawSeed)
            : Negatives == Negatives.Local ? Local(ranks, o, phi, psi, phrases, inputs.DrawSeed)
            : Global(ranks, o, phi, psi, phrases, inputs.DrawSeed);
        return Objectives.Escape(result.Total, result.Parts);
    }

    /// <summary>How a data-parallel job splits the loss head (<see cref="Model.Negatives"/>).</summary>
    public Negatives Negatives { get; init; } = Negatives.Local;

    /// <summary>
    /// This rank's share of the global batch's loss with local negatives: L_CLIP's
    /// (<see cref="LocalNegatives.ClipShare"/>) plus λ times the triplet's from the block S̄[own rows, all captions]
    /// [b, B] (<see cref="LocalNegatives.TripletShare"/>, where the argument why it is exact lives). Each rank pools
    /// its own nodes p = Σ ψ and gathers them with gradient, padded to the largest node count over ranks (padded nodes
    /// are masked, as within one batch); φ stays local.
    /// Cost per rank: b·B·M·|𝒯| entries of S1 (1/K of one process's), a gather of B·|𝒯|·E node values and the node
    /// masks, and one of B column maxima.
    /// </summary>
    private LossOutput Local(IFeatureGather ranks, ClipOutputs o, Tensor phi, Tensor psi, PhraseBatch phrases,
                             int? drawSeed)
    {
        var clip = LocalNegatives.ClipShare(ranks, o.ImageEmbeds, o.TextEmbeds, o.LogitScale);
        var parts = new Dictionary<string, Tensor> { ["clip"] = clip };
        var total = clip;
        if (Config.UseTriplet)
        {
            var rows = RankRows.Of(ranks, phi.shape[0]);
            var (nodes, nodeMask) = Nodes(psi, phrases);
            var count = ranks.MaxOverRanks(nodes.shape[1]);
            var block = ChunkedScores.Compute(phi, ranks.AllGatherWithGrad(Pad(nodes, 1, count)),
                                              ranks.AllGather(Pad(nodeMask, 1, count)), ForEvaluation(drawSeed));
            var (triplet, positives) = LocalNegatives.TripletShare(ranks, block, rows, Config.Delta);
            total = clip + Config.Lambda * triplet;
            parts["triplet"] = triplet;
            parts["positive_score"] = (positives / rows.Total).detach();
        }
        parts["total"] = total;
        return new LossOutput(total, parts);
    }

    /// <summary>
    /// The loss of the global batch of a data-parallel job with global negatives: every rank's global embeddings,
    /// φ [b, M, E], ψ and tree tensors, gathered after padding to the largest leaf and node counts over ranks (each
    /// batch pads to its own; zero leaves and nodes are masked out, as within one batch); the result is this rank's
    /// share (<see cref="FeatureGather.ShareOfReplicated"/>). Cost per rank: the head on the whole global batch, and a
    /// gather of B·(M + L)·E values plus the tree masks.
    /// </summary>
    private LossOutput Global(IFeatureGather ranks, ClipOutputs o, Tensor phi, Tensor psi, PhraseBatch phrases,
        int? drawSeed)
    {
        var leaves = ranks.MaxOverRanks(psi.shape[1]);
        var nodes = ranks.MaxOverRanks(phrases.Membership.shape[2]);
        var image = ranks.AllGather(o.ImageEmbeds);
        var global = new PhraseBatch(
            // not read: ψ is pooled
            torch.empty(image.shape[0], leaves, 0, dtype: phrases.LeafTokens.dtype, device: phi.device),
            ranks.AllGather(Pad(phrases.LeafMask, 1, leaves)),
            ranks.AllGather(Pad(Pad(phrases.Membership, 1, leaves), 2, nodes)),
            ranks.AllGather(Pad(phrases.NodeMask, 1, nodes)));
        return ranks.ShareOfReplicated(FromEmbeddings(image, ranks.AllGather(o.TextEmbeds),
            ranks.Replicated(o.LogitScale), ranks.AllGather(phi), ranks.AllGather(Pad(psi, 1, leaves)), global,
            drawSeed));
    }

    /// <summary>Zero-pads dimension <paramref name="dim"/> to <paramref name="size"/>.</summary>
    private static Tensor Pad(Tensor t, int dim, long size)
    {
        if (t.shape[dim] == size) return t;
        var shape = t.shape.ToArray();
        shape[dim] = size - t.shape[dim];
        return torch.cat([t, torch.zeros(shape, t.dtype, t.device)], dim);
    }

    /// <summary>
    /// The loss from embeddings: global [B, E] pairs, φ [B, M, E] (unit), ψ [B, L, E] (unit, zero on padded leaves);
    /// <paramref name="drawSeed"/> seeds the Monte Carlo R2T's subsets (see <see cref="ObjectiveInputs"/>).
    /// </summary>
    public LossOutput FromEmbeddings(Tensor imageEmbeds, Tensor textEmbeds, Tensor logitScale, Tensor phi, Tensor psi,
        PhraseBatch phrases,
                                     int? drawSeed = null)
    {
        InputChecks.SameBatch(imageEmbeds.shape[0], "image embeddings", phi.shape[0], "region embeddings");
        InputChecks.SameBatch(textEmbeds.shape[0], "text embeddings", psi.shape[0], "leaf embeddings");
        InputChecks.SameBatch(imageEmbeds.shape[0], "images", textEmbeds.shape[0], "captions");
        using var scope = torch.NewDisposeScope();
        var clip = ClipLoss.Compute(imageEmbeds, textEmbeds, logitScale);
        var parts = new Dictionary<string, Tensor> { ["clip"] = clip };
        var total = clip;
        if (Config.UseTriplet)
        {
            var scores = Scores(phi, psi, phrases, drawSeed);
            var triplet = TripletLoss.Hardest(scores, Config.Delta) + TripletLoss.Hardest(scores.t(), Config.Delta);
            total = clip + Config.Lambda * triplet;
            parts["triplet"] = triplet;
            parts["positive_score"] = scores.diagonal().mean().detach();
        }
        parts["total"] = total;
        return Objectives.Escape(total, parts);
    }

    /// <summary>S̄ [Bi, Bj] for region embeddings φ and leaf embeddings ψ (the tree ablation applied here, the score
    /// scale by PowerClipScores.Combine).</summary>
    public Tensor Scores(Tensor phi, Tensor psi, PhraseBatch phrases, int? drawSeed = null)
    {
        using var scope = torch.NewDisposeScope();
        var (nodes, mask) = Nodes(psi, phrases);
        return ChunkedScores.Compute(phi, nodes, mask, ForEvaluation(drawSeed)).MoveToOuterDisposeScope();
    }

    /// <summary>Node embeddings p [B, T, E] and valid nodes [B, T] of the captions (tree ablation applied).</summary>
    private (Tensor Nodes, Tensor Mask) Nodes(Tensor psi, PhraseBatch phrases)
    {
        var (membership, nodeMask) = Config.UseTree
            ? (phrases.Membership, phrases.NodeMask)
            : phrases.LeavesAsNodes(psi.dtype);
        return (PowerClipScores.NodeEmbeddings(psi, membership), nodeMask.to(psi.device));
    }

    private int _evaluations;

    /// <summary>
    /// The configuration for one evaluation of S̄, kept in the config so the chunked backward recomputes with the same
    /// subsets. The Monte Carlo R2T draws fresh subsets each time: from MonteCarloSeed + the draw seed the trainer
    /// derives per step (a resumed run draws the same), or, without one, MonteCarloSeed + n for the n-th call.
    /// </summary>
    private PowerClipLossConfig ForEvaluation(int? drawSeed) =>
        Config.R2T != R2TMethod.MonteCarlo ? Config : Config with
        {
            MonteCarloSeed = unchecked(Config.MonteCarloSeed + (drawSeed
                ?? Interlocked.Increment(ref _evaluations) - 1)),
        };
}
