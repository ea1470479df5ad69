namespace PowerClip.Data;

/// <summary>
/// Streaming settings: shuffle buffer (0 = off), seed, decoding threads, prefetch depth, pixel cap, tar entry cap.
/// </summary>
public sealed record StreamOptions(int ShuffleBuffer = 1000, int Seed = 0, int Parallelism = 0, int Prefetch = 256,
                                   long MaxPixels = ImageLoader.DefaultMaxPixels,
                                   long MaxEntryBytes = WebDataset.DefaultMaxEntryBytes)
{
    public int Threads => Parallelism > 0 ? Parallelism : Math.Max(1, Environment.ProcessorCount);
}

/// <summary>
/// Streams raw samples from WebDataset shards: the shard order is shuffled per epoch, records are decoded in
/// parallel (ordered, bounded), then pass a shuffle buffer — deterministic for a given seed and epoch. Bad
/// samples and damaged shards are skipped and reported to <see cref="Problems"/>.
/// </summary>
public sealed class WebDatasetSource : IRawSampleSource
{
    public IReadOnlyList<string> Shards { get; }
    public StreamOptions Options { get; }
    public DataProblems Problems { get; }
    private readonly ImageLoader _loader;

    /// <param name="rank">With <paramref name="ranks"/> &gt; 1 (data-parallel training), this rank reads shards rank, rank + K, …</param>
    public WebDatasetSource(string shardPattern, StreamOptions options, DataProblems problems, int rank = 0, int ranks = 1)
    {
        var all = BraceExpansion.Expand(shardPattern);
        if (ranks > 1 && all.Count < ranks)
            throw new ArgumentException($"{shardPattern} names {all.Count} shard(s), fewer than the {ranks} ranks: each rank needs at least one shard");
        Shards = ranks > 1 ? all.Where((_, i) => i % ranks == rank).ToArray() : all;
        Options = options;
        Problems = problems;
        _loader = new ImageLoader(options.MaxPixels);
    }

    public IEnumerable<RawSample> Read(int epoch = 0)
    {
        var rng = new Random(Seeds.EpochOrder(Options.Seed, epoch));
        var order = Options.ShuffleBuffer > 1 ? Shards.OrderBy(_ => rng.Next()).ToArray() : Shards.ToArray();
        return order.SelectMany(s => WebDataset.ReadShard(s, Problems, Options.MaxEntryBytes))
            .ParallelMap(r => WebDataset.Decode(r, _loader, Problems), Options.Threads)
            .Shuffle(Options.ShuffleBuffer, rng);
    }
}
