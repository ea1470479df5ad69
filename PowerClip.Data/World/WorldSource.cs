namespace PowerClip.Data;

/// <summary>
/// The synthetic world as a raw sample source: <paramref name="count"/> samples of a split, generated on the fly
/// in parallel, visited in a fresh seeded order each epoch (sample i is always the same sample). A
/// <see cref="DataPosition"/> is an index into that order, so resuming renders nothing before it; with a
/// <paramref name="stride"/>, a rank renders only its own samples.
/// </summary>
public sealed class WorldSource(SyntheticWorld world, WorldSplit split, int count, StreamOptions options,
                                RankStride stride = default) : IResumableSource
{
    public string Identity { get; } = $"world {split} {count} samples{stride}";

    public IEnumerable<RawSample> Read(int epoch = 0) => ReadFrom(DataPosition.Start(epoch)).Select(p => p.Item);

    public IEnumerable<Positioned<RawSample>> ReadFrom(DataPosition from)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count,
            "world sample count must be positive");
        // The whole epoch is one seeded permutation: no shuffle buffer on top.
        var pipeline = new RecordPipeline<int>(
            (epoch, cursor) => Order(epoch).Skip((int)cursor.Offset).Select((i, k) =>
                new SourceRecord<int>(new RecordRef(0, cursor.Offset + k), new RecordRef(0, cursor.Offset + k + 1), i)),
            (epoch, refs) => refs.Select(r => Order(epoch)[(int)r.Offset]).ToArray(),
            i => world.Sample(split, i).ToRaw(),
            options with { ShuffleBuffer = 0 }, stride, Identity);
        return pipeline.ReadFrom(from);
    }

    private int[] Order(int epoch)
    {
        var order = Enumerable.Range(0, count).ToArray();
        if (options.ShuffleBuffer > 1) new Random(Seeds.EpochOrder(options.Seed, epoch)).Shuffle(order);
        return order;
    }
}
