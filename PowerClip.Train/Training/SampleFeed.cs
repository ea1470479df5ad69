using PowerClip.Data;

namespace PowerClip.Train.Training;

/// <summary>
/// An endless, deterministic sequence of prepared samples: epoch after epoch of a source, each epoch in the
/// source's seeded order. It knows its <see cref="Position"/> after every sample, and <see cref="Seek"/> starts
/// there again — what a checkpoint records and a resumed run restores, so that it reads exactly what the
/// uninterrupted run would have read, without preparing the samples before the position.
/// </summary>
public sealed class SampleFeed : IDisposable
{
    private readonly Func<DataPosition, IEnumerable<Positioned<DataSample>>> _read;
    private IEnumerator<Positioned<DataSample>>? _current;
    private bool _fromEpochStart;
    private bool _yieldedAny;

    /// <param name="read">
    /// The prepared samples after a position to its epoch's end, each with the position after it.
    /// </param>
    public SampleFeed(Func<DataPosition, IEnumerable<Positioned<DataSample>>> read) => _read = read;

    /// <summary>
    /// Where the feed stands: after the last sample <see cref="Next"/> returned (at first: epoch 0's start).
    /// </summary>
    public DataPosition Position { get; private set; } = DataPosition.Start(0);

    /// <summary>A streamed source, prepared on the fly (parallel, bounded, prefetched).</summary>
    public static SampleFeed Streaming(IResumableSource source, SamplePreparer preparer, StreamOptions options) =>
        new(from => source.ReadFrom(from)
            .ParallelMap(p => preparer.Prepare(p.Item, p.After.Epoch) is { } s
                             ? new Positioned<DataSample>(s, p.After)
                             : null,
                         options.Threads)
            .Prefetch(options.Prefetch));

    /// <summary>
    /// Samples prepared once and held in memory (the synthetic world), reshuffled per epoch by seed. With
    /// <paramref name="ranks"/> &gt; 1, rank <paramref name="rank"/>'s part of that one sequence: blocks of
    /// <paramref name="block"/> (the local batch) taken round-robin, so global batch k is the K ranks' batch k
    /// in rank order, exactly one process's batch k of K·block samples. A position is an index into the
    /// epoch's order.
    /// </summary>
    public static SampleFeed InMemory(IReadOnlyList<DataSample> samples, int seed, int rank = 0, int ranks = 1,
        int block = 1)
    {
        if (ranks > 1 && samples.Count < (long)ranks * block)
            throw new ArgumentException($"{samples.Count} samples cannot give {ranks} ranks a batch of {block} each: " +
                $"need at least {(long)ranks * block}");
        var part = ranks > 1 ? $", blocks of {block}, rank {rank} of {ranks}" : "";
        var identity = $"memory {samples.Count} samples{part}";
        return new(from =>
        {
            if (from.Source.Length > 0 && from.Source != identity)
                throw new InvalidDataException(
                    $"the saved data position is for {from.Source}, but this run reads {identity}: " +
                    "resume with the same data");
            var epoch = from.Epoch;
            var order = Enumerable.Range(0, samples.Count).ToArray();
            new Random(Seeds.InMemoryEpoch(seed, epoch)).Shuffle(order);
            long first = (long)epoch * samples.Count; // global position of this epoch's first sample
            return Enumerable.Range((int)from.Emitted, samples.Count - (int)from.Emitted)
                .Where(k => (first + k) / block % ranks == rank)
                .Select(k => new Positioned<DataSample>(samples[order[k]],
                                                        new DataPosition(epoch, k + 1, default, [], identity)));
        });
    }

    public DataSample Next()
    {
        while (true)
        {
            if (_current is null)
            {
                _current = _read(Position).GetEnumerator();
                _fromEpochStart = Position.Emitted == 0;
                _yieldedAny = false;
            }
            if (_current.MoveNext())
            {
                _yieldedAny = true;
                Position = _current.Current.After;
                return _current.Current.Item;
            }
            if (_fromEpochStart && !_yieldedAny)
                throw new InvalidDataException(
                    $"the data source yielded no usable sample in epoch {Position.Epoch} (see the skipped-sample log)");
            _current.Dispose();
            _current = null;
            Position = DataPosition.Start(Position.Epoch + 1);
        }
    }

    public DataSample[] NextBatch(int size)
    {
        var batch = new DataSample[size];
        for (var i = 0; i < size; i++) batch[i] = Next();
        return batch;
    }

    /// <summary>
    /// Continues after <paramref name="position"/> (one this feed reported, maybe in an earlier process).
    /// </summary>
    public void Seek(DataPosition position)
    {
        _current?.Dispose();
        _current = null;
        Position = position;
    }

    /// <summary>Consumes samples one by one, preparing each: the resume of a checkpoint without a position.</summary>
    public void Skip(long samples)
    {
        for (long i = 0; i < samples; i++) Next();
    }

    public void Dispose() => _current?.Dispose();
}
