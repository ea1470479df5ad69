namespace PowerClip.Data;

/// <summary>
/// The synthetic world as a raw sample source: <paramref name="count"/> samples of a split, generated on the fly
/// in parallel, visited in a fresh seeded order each epoch (sample i is always the same sample).
/// </summary>
public sealed class WorldSource(SyntheticWorld world, WorldSplit split, int count, StreamOptions options) : IRawSampleSource
{
    public IEnumerable<RawSample> Read(int epoch = 0)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "world sample count must be positive");
        var order = Enumerable.Range(0, count).ToArray();
        if (options.ShuffleBuffer > 1) new Random(Seeds.EpochOrder(options.Seed, epoch)).Shuffle(order);
        return order.ParallelMap(i => world.Sample(split, i).ToRaw(), options.Threads);
    }
}
