using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// The collectives an objective needs to compute its loss over the global batch of a data-parallel job
/// (open_clip's ClipLoss(local_loss, gather_with_grad, rank, world_size) in interface form). Each objective
/// gathers for itself what it reads (<see cref="IContrastiveObjective.Compute"/>); the trainer's distributed
/// context implements this over MPI, and <see cref="FeatureGather.Local"/> is the one-process identity.
/// Every rank must make the same calls in the same order (each is a collective).
/// </summary>
/// <remarks>
/// Why a gather without gradient is exact: every rank evaluates the same global loss L(f_1, …, f_K) from the
/// gathered features, but only its own f_k carries gradient, so its backward yields (∂L/∂f_k)(∂f_k/∂θ); the
/// trainer sums gradients over ranks, and Σ_k (∂L/∂f_k)(∂f_k/∂θ) = ∂L/∂θ by the chain rule. A tensor that
/// enters L with its full gradient on every rank (the logit scale) goes through <see cref="FeatureGather.Replicated"/>.
/// With a local loss (rank k computes only its part L_k, Σ_k L_k = L) the features must be gathered
/// <see cref="AllGatherWithGrad">with gradient</see>: then each rank's backward also reaches the other ranks'
/// features, and the gather's backward sums those contributions back to their owners (<see cref="Negatives"/>).
/// Either way an objective returns this rank's share of the loss (<see cref="LossOutput"/>): the trainer sums the
/// ranks' losses and their gradients.
/// </remarks>
public interface IFeatureGather
{
    /// <summary>This process's rank in 0 … Size−1.</summary>
    int Rank { get; }

    /// <summary>Number of processes (K).</summary>
    int Size { get; }

    /// <summary>
    /// Every rank's tensor concatenated along dim 0 in rank order. Only this rank's slice is
    /// <paramref name="local"/> itself (gradient flows through it); the others are detached copies.
    /// Ranks may differ in dim 0 only.
    /// </summary>
    Tensor AllGather(Tensor local);

    /// <summary>
    /// As <see cref="AllGather(Tensor)"/>, but differentiable in every slice: the backward sums the gradient of
    /// the gathered tensor over ranks and returns this rank's slice of the sum (open_clip's gather_with_grad).
    /// </summary>
    Tensor AllGatherWithGrad(Tensor local);

    /// <summary>Every rank's value, in rank order (counts, sizes, flags).</summary>
    double[] AllGather(double value);
}

/// <summary>The one-process gather and what objectives build from any gather.</summary>
public static class FeatureGather
{
    /// <summary>One process: rank 0 of 1, every gather the identity.</summary>
    public static IFeatureGather Local { get; } = new LocalGather();

    /// <summary>
    /// For a tensor every rank feeds into the global loss with its full gradient (a loss-head parameter such as
    /// CLIP's logit scale, used after the gather): each rank's backward yields all of ∂L/∂t, so the sum over
    /// ranks would be K·∂L/∂t. Returns t's value exactly (t.detach() + 0) with its gradient divided by K.
    /// </summary>
    public static Tensor Replicated(this IFeatureGather gather, Tensor t) =>
        gather.Size == 1 ? t : t.detach() + (t - t.detach()) / gather.Size;

    /// <summary>
    /// This rank's share of a value every rank computes whole, from features gathered without gradient (a global-
    /// negatives loss, or a sum over ranks): t/K in value — the trainer sums the ranks' losses, so the shares add up
    /// to t — and t's own gradient, which the ranks already partition (each reaches only its own features). A
    /// local-negatives loss is a share by construction and does not go through this.
    /// </summary>
    public static Tensor ShareOfReplicated(this IFeatureGather gather, Tensor t) =>
        gather.Size == 1 ? t : t.detach() / gather.Size + (t - t.detach());

    /// <summary>This rank's share of a whole loss every rank computes: its total and each part as above.</summary>
    public static LossOutput ShareOfReplicated(this IFeatureGather gather, LossOutput whole) =>
        gather.Size == 1 ? whole : new LossOutput(gather.ShareOfReplicated(whole.Total),
            whole.Parts.ToDictionary(p => p.Key, p => gather.ShareOfReplicated(p.Value)));

    /// <summary>Σ over ranks of <paramref name="local"/> (any shape); gradient flows into this rank's term
    /// only.</summary>
    public static Tensor SumAcrossRanks(this IFeatureGather gather, Tensor local) =>
        // 0L: a literal 0 would pick sum(ScalarType)
        gather.Size == 1 ? local : gather.AllGather(local.unsqueeze(0)).sum(0L);

    /// <summary>The largest of the ranks' values (e.g. leaf and node counts to pad to before a gather).</summary>
    public static long MaxOverRanks(this IFeatureGather gather, long value) =>
        gather.Size == 1 ? value : (long)gather.AllGather(value).Max();

    private sealed class LocalGather : IFeatureGather
    {
        public int Rank => 0;
        public int Size => 1;
        public Tensor AllGather(Tensor local) => local;
        public Tensor AllGatherWithGrad(Tensor local) => local;
        public double[] AllGather(double value) => [value];
    }
}
