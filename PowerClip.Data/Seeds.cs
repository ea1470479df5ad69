namespace PowerClip.Data;

/// <summary>
/// Every seed a training run derives from its one seed, in one place. A resumed run repeats an uninterrupted one
/// exactly only if it derives the same seeds, so each is a pure function of (seed, position) — never of a counter
/// that lives in a process, and never string.GetHashCode (randomised per process).
/// </summary>
public static class Seeds
{
    /// <summary>torch's generator before optimizer step <paramref name="step"/> (the weights' initialisation uses the
    /// seed itself).</summary>
    public static long Step(int seed, int step) => (long)seed * 1_000_003L + step;

    /// <summary>The region draws of micro-batch <paramref name="microBatch"/> of step <paramref
    /// name="step"/>.</summary>
    public static int Regions(int seed, int step, int microBatch) => (int)(Step(seed, step) * 31 + microBatch);

    /// <summary>Random draws inside the loss of micro-batch <paramref name="microBatch"/> of step <paramref
    /// name="step"/> (Monte Carlo R2T).</summary>
    public static int LossDraws(int seed, int step, int microBatch) =>
        unchecked(Regions(seed, step, microBatch) * 7_919 + 0x10ad);

    /// <summary>
    /// The region sampler of row <paramref name="globalRow"/> of a global batch: seeded by the row's place in the
    /// global
    /// batch, so a data-parallel rank holding some rows draws what one process holding all of them would draw.
    /// </summary>
    public static int RegionRow(int regionSeed, int globalRow) => unchecked(regionSeed * 1_000_003 + globalRow * 7_919);

    /// <summary>
    /// The order of epoch <paramref name="epoch"/> of a streamed source: the shard order (a <see cref="Random"/>) and
    /// the shuffle buffer's draws (<see cref="ShuffleDraw"/>: counter-based, so a position needs no generator state).
    /// </summary>
    public static int EpochOrder(int seed, int epoch) => unchecked(seed * 1_000_003 + epoch);

    /// <summary>The order of epoch <paramref name="epoch"/> of samples held in memory.</summary>
    public static int InMemoryEpoch(int seed, int epoch) => unchecked(seed * 1_000_003 + epoch * 7_919 + 0x5eed);

    /// <summary>
    /// FLIP's patch dropping on rank <paramref name="rank"/>: one draw from torch's generator (in the same state on
    /// every rank) made rank-specific, so that the ranks do not drop the same patches.
    /// </summary>
    public static ulong PatchDropRank(long draw, int rank) => (ulong)draw * 1_000_003UL + (ulong)rank;

    /// <summary>A sample's augmentation in epoch <paramref name="epoch"/>: FNV-1a over its key, mixed with seed and
    /// epoch.</summary>
    public static int Augmentation(string key, int seed, int epoch)
    {
        var h = 2166136261u;
        foreach (var c in key) h = (h ^ c) * 16777619u;
        h = (h ^ (uint)seed) * 16777619u;
        h = (h ^ (uint)epoch) * 16777619u;
        return (int)(h & 0x7FFFFFFF);
    }
}
