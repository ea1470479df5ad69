using System.Collections.Immutable;

namespace PowerClip.Data;

/// <summary>
/// WebDataset's shuffle buffer (keep <c>size</c> records, emit a random one as each new record arrives, then
/// drain in random order) made resumable: every emitted record carries the <see cref="DataPosition"/> after it —
/// the draw count, the reading cursor and the buffer's contents as record references (an immutable list, so a
/// snapshot per record costs O(log size)). Started from such a position with the buffered records read back,
/// it emits exactly what the uninterrupted shuffle would have emitted next.
/// </summary>
public static class ResumableShuffle
{
    /// <param name="from">Where to start: the epoch's start, or a position an earlier run emitted.</param>
    /// <param name="restored">The records of <paramref name="from"/>'s buffer, in its slot order.</param>
    /// <param name="input">The records from <paramref name="from"/>'s cursor on.</param>
    public static IEnumerable<Positioned<T>> Run<T>(DataPosition from, IReadOnlyList<T> restored,
                                                    IEnumerable<SourceRecord<T>> input,
                                                    int size, int seed, string source)
    {
        if (restored.Count != from.Buffer.Count)
            throw new ArgumentException($"{restored.Count} restored records for a buffer of {from.Buffer.Count}");
        var epoch = from.Epoch;
        var epochSeed = Seeds.EpochOrder(seed, epoch);
        var emitted = from.Emitted;
        if (size <= 1)
        {
            foreach (var r in input)
                yield return new Positioned<T>(r.Record, new DataPosition(epoch, ++emitted, r.After, [], source));
            yield break;
        }
        var buffer = new List<T>(restored);
        var refs = from.Buffer;
        var cursor = from.Cursor; // after the input ends: where reading would continue (and find nothing)
        foreach (var r in input)
        {
            cursor = r.After;
            if (buffer.Count < size)
            {
                buffer.Add(r.Record);
                refs = refs.Add(r.At);
                continue;
            }
            var i = ShuffleDraw.Next(epochSeed, emitted, size);
            var item = buffer[i];
            buffer[i] = r.Record;
            refs = refs.SetItem(i, r.At);
            yield return new Positioned<T>(item, new DataPosition(epoch, ++emitted, r.After, refs, source));
        }
        while (buffer.Count > 0)
        {
            var i = ShuffleDraw.Next(epochSeed, emitted, buffer.Count);
            var item = buffer[i];
            var last = buffer.Count - 1;
            buffer[i] = buffer[last];
            buffer.RemoveAt(last);
            refs = refs.SetItem(i, refs[last]).RemoveAt(last);
            yield return new Positioned<T>(item, new DataPosition(epoch, ++emitted, cursor, refs, source));
        }
    }
}
