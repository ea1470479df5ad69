using PowerClip.Data;

namespace PowerClip.Train.Training;

/// <summary>
/// An endless, deterministic sequence of prepared samples: epoch after epoch of a source, each epoch in the
/// source's seeded order. Batch k is always the same samples, so a resumed run skips exactly the batches
/// the interrupted one consumed (<see cref="Skip"/>).
/// </summary>
public sealed class SampleFeed : IDisposable
{
    private readonly Func<int, IEnumerable<DataSample>> _epochs;
    private IEnumerator<DataSample>? _current;
    private int _epoch = -1;
    private bool _epochYieldedAny;

    /// <param name="epochs">The prepared samples of epoch e, in a deterministic order.</param>
    public SampleFeed(Func<int, IEnumerable<DataSample>> epochs) => _epochs = epochs;

    /// <summary>A streamed source, prepared on the fly (parallel, bounded, prefetched).</summary>
    public static SampleFeed Streaming(IRawSampleSource source, SamplePreparer preparer, StreamOptions options) =>
        new(epoch => preparer.Stream(source, epoch, options));

    /// <summary>
    /// Samples prepared once and held in memory (the synthetic world), reshuffled per epoch by seed. With
    /// <paramref name="ranks"/> &gt; 1, rank <paramref name="rank"/>'s part of that one sequence: blocks of
    /// <paramref name="block"/> (the local batch) taken round-robin, so global batch k is the K ranks' batch k
    /// in rank order, exactly one process's batch k of K·block samples.
    /// </summary>
    public static SampleFeed InMemory(IReadOnlyList<DataSample> samples, int seed, int rank = 0, int ranks = 1, int block = 1)
    {
        if (ranks > 1 && samples.Count < (long)ranks * block)
            throw new ArgumentException($"{samples.Count} samples cannot give {ranks} ranks a batch of {block} each: need at least {(long)ranks * block}");
        return new(epoch =>
        {
            var order = Enumerable.Range(0, samples.Count).ToArray();
            new Random(Seeds.InMemoryEpoch(seed, epoch)).Shuffle(order);
            long first = (long)epoch * samples.Count; // global position of this epoch's first sample
            return order.Where((_, k) => (first + k) / block % ranks == rank).Select(i => samples[i]);
        });
    }

    public DataSample Next()
    {
        while (true)
        {
            if (_current is not null && _current.MoveNext())
            {
                _epochYieldedAny = true;
                return _current.Current;
            }
            if (_current is not null && !_epochYieldedAny)
                throw new InvalidDataException($"the data source yielded no usable sample in epoch {_epoch} (see the skipped-sample log)");
            _current?.Dispose();
            _epoch++;
            _epochYieldedAny = false;
            _current = _epochs(_epoch).GetEnumerator();
        }
    }

    public DataSample[] NextBatch(int size)
    {
        var batch = new DataSample[size];
        for (var i = 0; i < size; i++) batch[i] = Next();
        return batch;
    }

    public void Skip(long samples)
    {
        for (long i = 0; i < samples; i++) Next();
    }

    public void Dispose() => _current?.Dispose();
}
