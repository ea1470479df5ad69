using static TorchSharp.torch;

namespace PowerClip.Train.Training.Distributed;

/// <summary>
/// The processes of one data-parallel job and the collectives the trainer and the losses need.
/// Every rank must call every collective in the same order with tensors of the same dtype (and, for
/// <see cref="AllReduceSum"/> and <see cref="Broadcast"/>, the same shapes); a rank that skips one
/// blocks the others. <see cref="SingleProcessContext"/> is the default (one rank, every collective
/// the identity); <see cref="MpiContext"/> runs over MPI.
/// </summary>
/// <remarks>
/// Exact gradients through the global batch (how a batch-coupled loss stays exact). The CLIP and
/// PowerCLIP losses L(f_1, …, f_K) couple every sample with every other (softmax denominators,
/// hardest negatives over the global batch), where f_k are the features rank k computes from its
/// shard. <see cref="AllGather"/> returns the concatenation with the other ranks' features detached
/// and only the local f_k carrying gradient, so every rank evaluates the same global loss L but its
/// backward pass yields g_k = (∂L/∂f_k)·(∂f_k/∂θ). By the chain rule
/// ∂L/∂θ = Σ_k (∂L/∂f_k)(∂f_k/∂θ) = Σ_k g_k, so an all-reduce SUM of the gradients (not a mean)
/// gives every rank exactly the gradient one process would get on the whole global batch.
/// A parameter that enters L directly on every rank (the logit scale, a learnable temperature) gets
/// its full gradient on each of the K ranks; it must pass through
/// <see cref="DistributedExtensions.Replicated"/>, which divides its gradient by K.
/// Cost: the forward of the encoders is split K ways, but each rank computes the loss head on the
/// whole global batch (the B×B similarity matrix, or PowerCLIP's B×B×M×L pair scores) — K times
/// the loss-head work of a gather that back-propagates (which would send gradients of features back
/// to their owners); communication per step is one all-gather of B·D feature values per gathered
/// tensor plus the gradient all-reduce (2·P values through each rank's link in a ring).
/// </remarks>
public interface IDistributedContext : IDisposable
{
    /// <summary>This process's rank in 0 … Size-1.</summary>
    int Rank { get; }

    /// <summary>Number of processes (K).</summary>
    int Size { get; }

    /// <summary>Rank among the processes on this host: selects the GPU, cuda:LocalRank.</summary>
    int LocalRank { get; }

    /// <summary>Rank 0: the only rank that writes logs, metrics and checkpoints.</summary>
    bool IsMain => Rank == 0;

    /// <summary>Where this rank computes: cuda:LocalRank when GPUs are present, else the CPU.</summary>
    Device Device { get; }

    /// <summary>Total wall time spent inside collectives, including host staging (for metrics).</summary>
    TimeSpan CommunicationTime { get; }

    /// <summary>Overwrites each tensor, in place, with rank <paramref name="root"/>'s values.</summary>
    void Broadcast(IReadOnlyList<Tensor> tensors, int root = 0);

    /// <summary>Replaces each tensor, in place, by its element-wise sum over all ranks (float32/float64).</summary>
    void AllReduceSum(IReadOnlyList<Tensor> tensors);

    /// <summary>
    /// Concatenates every rank's tensor along dim 0 in rank order. Only this rank's slice is the
    /// <paramref name="local"/> tensor itself (gradient flows through it); the others are detached
    /// copies. Ranks may differ in dim 0 only.
    /// </summary>
    Tensor AllGather(Tensor local);

    /// <summary>Every rank's value, in rank order (losses, flags, steps).</summary>
    double[] AllGather(double value);

    /// <summary>Stops the whole job at once (MPI_Abort); used on an unrecoverable error on one rank.</summary>
    void Abort(int exitCode);
}
