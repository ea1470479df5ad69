namespace PowerClip.Train.Training.Distributed;

/// <summary>
/// A trainable that can run on several ranks. The trainer calls <see cref="Attach"/> once, before
/// the first step. From then on <see cref="ITrainable.Loss"/> must (1) read only this rank's shard
/// of the global batch (e.g. rows Rank·b … (Rank+1)·b-1 of a batch drawn from torch's generator,
/// which the trainer reseeds identically on every rank) and (2) return the loss of the whole global
/// batch, built from <see cref="IDistributedContext.AllGather(TorchSharp.torch.Tensor)"/> or
/// <see cref="DistributedExtensions.SumAcrossRanks"/> so that gradient flows only through this
/// rank's samples; a parameter used after the gather (the logit scale) goes through
/// <see cref="DistributedExtensions.Replicated"/>. The trainer then sums gradients over ranks,
/// which is exactly the gradient of the global loss (see <see cref="IDistributedContext"/>). With
/// one rank both rules are the plain loss.
/// Randomness inside the forward pass (dropout, augmentation) follows the same seed on every rank;
/// draw it for the global batch and take this rank's rows, as for the data, or the shards share masks.
/// </summary>
public interface IDistributedTrainable : ITrainable
{
    void Attach(IDistributedContext context);
}
