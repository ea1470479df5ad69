namespace PowerClip.Model;

/// <summary>
/// How a data-parallel job computes a contrastive loss over its global batch of B = Σ_k b_k pairs. Both give the
/// one-process loss and gradient exactly (tests/PowerClip.Distributed.Tests, 2 and 3 ranks); they differ in cost.
/// In one process there is nothing to split and both are the same computation.
/// </summary>
public enum Negatives
{
    /// <summary>
    /// Every rank gathers every rank's features without gradient and evaluates the whole B × B loss head; its
    /// backward reaches only its own features (<see cref="IFeatureGather"/>). The head's cost does not shrink as
    /// ranks are added.
    /// </summary>
    Global,
    /// <summary>
    /// open_clip's local_loss: rank k scores only its own b_k rows against all B columns, with the columns gathered
    /// with gradient, and returns its share of the loss; the ranks' shares and their gradients sum to the
    /// one-process ones. What needs whole columns (the transpose's hardest negatives, FILIP's text→image
    /// log-sum-exp) is combined over ranks by one small gather of B values. The head's cost per rank is b/B of
    /// one process's.
    /// </summary>
    Local,
}

/// <summary>Where this rank's rows sit in the global batch.</summary>
/// <param name="Offset">rows held by the ranks before this one (this rank's first global row)</param>
/// <param name="Count">this rank's rows, b</param>
/// <param name="Total">the global batch, B</param>
public readonly record struct RankRows(long Offset, long Count, long Total)
{
    /// <summary>One collective: every rank's row count.</summary>
    public static RankRows Of(IFeatureGather ranks, long rows)
    {
        if (ranks.Size == 1) return new RankRows(0, rows, rows);
        var all = ranks.AllGather((double)rows);
        return new RankRows((long)all.Take(ranks.Rank).Sum(), rows, (long)all.Sum());
    }
}
