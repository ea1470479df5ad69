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
/// Streams raw samples from WebDataset shards: the shard order is shuffled per epoch, the raw records pass a
/// shuffle buffer, then are decoded in parallel (ordered, bounded) — deterministic for a given seed and epoch,
/// and resumable from a <see cref="DataPosition"/> (shard ordinal + byte offset + buffered records). Bad samples
/// and damaged shards are skipped and reported to <see cref="Problems"/>.
/// </summary>
public sealed class WebDatasetSource : IResumableSource
{
    public IReadOnlyList<string> Shards { get; }
    public StreamOptions Options { get; }
    public DataProblems Problems { get; }
    public string Identity { get; }
    private readonly RecordPipeline<ShardRecord> _pipeline;

    /// <param name="rank">With <paramref name="ranks"/> &gt; 1 (data-parallel training), this rank reads shards rank,
    /// rank + K, …</param>
    public WebDatasetSource(string shardPattern, StreamOptions options, DataProblems problems, int rank = 0,
        int ranks = 1)
    {
        var all = BraceExpansion.Expand(shardPattern);
        if (ranks > 1 && all.Count < ranks)
            throw new ArgumentException($"{shardPattern} names {all.Count} shard(s), fewer than the {ranks} ranks: " +
                "each rank needs at least one shard");
        Shards = ranks > 1 ? all.Where((_, i) => i % ranks == rank).ToArray() : all;
        Options = options;
        Problems = problems;
        // File names, not folders: moving the shards does not invalidate a saved position.
        var names = RecordPipeline<ShardRecord>.Fingerprint(Shards.Select(Path.GetFileName)!);
        Identity = $"wds {Shards.Count} shards {names}";
        var loader = new ImageLoader(options.MaxPixels);
        _pipeline = new RecordPipeline<ShardRecord>(Records, Restore, r => WebDataset.Decode(r, loader, problems),
                                                    options, RankStride.None, Identity);
    }

    public IEnumerable<RawSample> Read(int epoch = 0) => ReadFrom(DataPosition.Start(epoch)).Select(p => p.Item);

    public IEnumerable<Positioned<RawSample>> ReadFrom(DataPosition from) => _pipeline.ReadFrom(from);

    /// <summary>The epoch's shard order: shuffled by (seed, epoch) when shuffling is on.</summary>
    public IReadOnlyList<string> Order(int epoch)
    {
        var rng = new Random(Seeds.EpochOrder(Options.Seed, epoch));
        return Options.ShuffleBuffer > 1 ? Shards.OrderBy(_ => rng.Next()).ToArray() : Shards.ToArray();
    }

    private IEnumerable<SourceRecord<ShardRecord>> Records(int epoch, RecordRef cursor)
    {
        var order = Order(epoch);
        for (var s = cursor.Shard; s < order.Count; s++)
            foreach (var r in WebDataset.ReadShard(order[s], Problems, Options.MaxEntryBytes,
                                                   s == cursor.Shard ? cursor.Offset : 0))
                yield return new SourceRecord<ShardRecord>(new RecordRef(s, r.Offset), new RecordRef(s, r.End), r);
    }

    /// <summary>Reads the records at saved references back, one seek each.</summary>
    private IReadOnlyList<ShardRecord> Restore(int epoch, IReadOnlyList<RecordRef> refs)
    {
        var order = Order(epoch);
        return refs.Select(r =>
        {
            if (r.Shard < 0 || r.Shard >= order.Count)
                throw new InvalidDataException(
                    $"the saved shuffle buffer names shard {r.Shard} of an epoch of {order.Count}: " +
                    "have the shards changed?");
            var record = WebDataset.ReadShard(order[r.Shard], Problems, Options.MaxEntryBytes, r.Offset)
                .FirstOrDefault();
            return record is not null && record.Offset == r.Offset ? record : throw new InvalidDataException(
                $"the saved shuffle buffer names a sample at byte {r.Offset} of {order[r.Shard]}, " +
                "which holds none there: has the shard changed?");
        }).ToArray();
    }
}
