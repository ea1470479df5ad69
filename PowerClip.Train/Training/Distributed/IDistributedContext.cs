using PowerClip.Model;
using static TorchSharp.torch;

namespace PowerClip.Train.Training.Distributed;

/// <summary>
/// The processes of one data-parallel job: the gathers the objectives use (<see cref="IFeatureGather"/>, where
/// the derivation of exact gradients through the global batch lives) plus what the trainer needs — broadcast,
/// the gradient all-reduce, the rank's device, abort. Every rank must call every collective in the same order
/// with tensors of the same dtype (and, for <see cref="AllReduceSum"/> and <see cref="Broadcast"/>, the same
/// shapes); a rank that skips one blocks the others. <see cref="SingleProcessContext"/> is the default (one
/// rank, every collective the identity); <see cref="MpiContext"/> runs over MPI.
/// </summary>
/// <remarks>
/// Cost: the forward of the encoders is split K ways. With global negatives (gathers without gradient) each rank
/// computes the loss head on the whole global batch (the B×B similarity matrix, or PowerCLIP's B×B×M×|𝒯| pair
/// scores); with local negatives (the default, <see cref="PowerClip.Model.Negatives"/>) only its b×B block, and the
/// gathers with gradient add an all-reduce of the gathered gradients in the backward. Communication per step is
/// one all-gather of B·D feature values per gathered tensor plus the gradient all-reduce (2·P values through each
/// rank's link in a ring).
/// </remarks>
public interface IDistributedContext : IFeatureGather, IDisposable
{
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

    /// <summary>Stops the whole job at once (MPI_Abort); used on an unrecoverable error on one rank.</summary>
    void Abort(int exitCode);
}
