namespace PowerClip.Data;

/// <summary>
/// The resumable epoch pipeline the streamed sources share: raw records in reading order (cheap: bytes or
/// table rows, nothing decoded) → <see cref="ResumableShuffle"/> → this rank's part → decode (parallel,
/// ordered). Shuffling raw records before decoding (as WebDataset pipelines do) is what lets a position name
/// records, and a resumed run re-read only the buffered ones.
/// </summary>
/// <param name="read">The records of an epoch from a cursor on.</param>
/// <param name="restore">The records at references of an epoch (a saved shuffle buffer), in that order.</param>
/// <param name="decode">A record → a sample, or null when it is unusable (reported by the decoder).</param>
public sealed class RecordPipeline<T>(
    Func<int, RecordRef, IEnumerable<SourceRecord<T>>> read,
    Func<int, IReadOnlyList<RecordRef>, IReadOnlyList<T>> restore,
    Func<T, RawSample?> decode,
    StreamOptions options,
    RankStride stride,
    string identity)
{
    public string Identity => identity;

    public IEnumerable<Positioned<RawSample>> ReadFrom(DataPosition from)
    {
        if (from.Source.Length > 0 && from.Source != identity)
            throw new InvalidDataException(
                $"the saved data position is for {from.Source}, but this run reads {identity}: " +
                "resume with the same data");
        return Records(from)
            .Where(p => stride.Keeps(p.After))
            .ParallelMap(p => decode(p.Item) is { } s ? new Positioned<RawSample>(s, p.After) : null, options.Threads);
    }

    private IEnumerable<Positioned<T>> Records(DataPosition from)
    {
        var restored = from.Buffer.Count > 0 ? restore(from.Epoch, from.Buffer) : [];
        var input = read(from.Epoch, from.Cursor);
        foreach (var p in ResumableShuffle.Run(from, restored, input, options.ShuffleBuffer, options.Seed, identity))
            yield return p;
    }

    /// <summary>
    /// FNV-1a of names for <see cref="IResumableSource.Identity"/> (string.GetHashCode varies by process).
    /// </summary>
    public static string Fingerprint(IEnumerable<string> names)
    {
        var h = 14695981039346656037UL;
        foreach (var name in names)
        {
            foreach (var c in name) h = (h ^ c) * 1099511628211UL;
            h = (h ^ 0xFF) * 1099511628211UL;
        }
        return h.ToString("x16");
    }
}
