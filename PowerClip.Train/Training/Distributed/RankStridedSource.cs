using PowerClip.Data;

namespace PowerClip.Train.Training.Distributed;

/// <summary>
/// Rank R of K keeps raw samples R, R + K, … of each epoch of a source that cannot be split more cheaply
/// (a CSV table, the streamed synthetic world): disjoint parts, but every rank still reads (not prepares)
/// the whole source. WebDataset shards are split by shard instead (<see cref="WebDatasetSource"/>).
/// </summary>
public sealed class RankStridedSource(IRawSampleSource inner, int rank, int ranks) : IRawSampleSource
{
    public IEnumerable<RawSample> Read(int epoch = 0) => inner.Read(epoch).Where((_, i) => i % ranks == rank);
}
