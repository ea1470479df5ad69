namespace PowerClip.Train.Training.Distributed;

/// <summary>
/// A trainable that can run on several ranks. The trainer calls <see cref="Attach"/> once, before
/// the first step. From then on <see cref="ITrainable.Loss"/> must (1) read only this rank's shard
/// of the global batch (e.g. rows Rank·b … (Rank+1)·b-1 of a batch drawn from torch's generator,
/// which the trainer reseeds identically on every rank) and (2) return this rank's share of the loss of
/// the global batch: the ranks' shares and their gradients must sum to the global loss and its gradient,
/// because the trainer sums both over ranks (see <see cref="PowerClip.Model.IFeatureGather"/>). Either a
/// whole loss built from <see cref="IDistributedContext.AllGather(TorchSharp.torch.Tensor)"/> or
/// <see cref="PowerClip.Model.FeatureGather.SumAcrossRanks"/> (gradient only through this rank's samples; a
/// parameter used after the gather, the logit scale, through <see cref="PowerClip.Model.FeatureGather.Replicated"/>)
/// and passed through <see cref="PowerClip.Model.FeatureGather.ShareOfReplicated"/>; or a local share built with
/// <see cref="PowerClip.Model.IFeatureGather.AllGatherWithGrad"/> (<see cref="PowerClip.Model.Negatives.Local"/>).
/// With one rank every rule is the plain loss.
/// Randomness inside the forward pass (dropout, augmentation) follows the same seed on every rank;
/// draw it for the global batch and take this rank's rows, as for the data, or the shards share masks.
/// </summary>
public interface IDistributedTrainable : ITrainable
{
    void Attach(IDistributedContext context);
}
