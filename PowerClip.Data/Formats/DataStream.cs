using System.Threading.Channels;

namespace PowerClip.Data;

/// <summary>Streaming building blocks: ordered bounded parallel map, seeded shuffle buffer, background
/// prefetch.</summary>
public static class DataStream
{
    /// <summary>
    /// Applies <paramref name="map"/> on up to <paramref name="parallelism"/> threads while keeping input order
    /// (so results stay deterministic); at most 2×parallelism items are in flight, so memory stays bounded.
    /// Items mapped to null are dropped (the mapper reports why).
    /// </summary>
    public static IEnumerable<TOut> ParallelMap<TIn, TOut>(this IEnumerable<TIn> source, Func<TIn, TOut?> map,
        int parallelism)
        where TOut : class
    {
        if (parallelism < 1) throw new ArgumentOutOfRangeException(nameof(parallelism), parallelism,
            "parallelism must be at least 1");
        if (parallelism == 1)
        {
            foreach (var item in source)
                if (map(item) is { } r) yield return r;
            yield break;
        }
        var window = new Queue<Task<TOut?>>();
        foreach (var item in source)
        {
            var captured = item;
            window.Enqueue(Task.Run(() => map(captured)));
            if (window.Count >= 2 * parallelism && window.Dequeue().GetAwaiter().GetResult() is { } r) yield return r;
        }
        while (window.Count > 0)
            if (window.Dequeue().GetAwaiter().GetResult() is { } r) yield return r;
    }

    /// <summary>
    /// WebDataset's shuffle buffer: keeps <paramref name="bufferSize"/> items and emits a random one as each new
    /// item arrives, then drains in random order. Deterministic for a given seed and input order.
    /// </summary>
    public static IEnumerable<T> Shuffle<T>(this IEnumerable<T> source, int bufferSize, Random rng)
    {
        if (bufferSize <= 1)
        {
            foreach (var item in source) yield return item;
            yield break;
        }
        var buffer = new List<T>(bufferSize);
        foreach (var item in source)
        {
            if (buffer.Count < bufferSize) { buffer.Add(item); continue; }
            var i = rng.Next(bufferSize);
            yield return buffer[i];
            buffer[i] = item;
        }
        while (buffer.Count > 0)
        {
            var i = rng.Next(buffer.Count);
            yield return buffer[i];
            buffer[i] = buffer[^1];
            buffer.RemoveAt(buffer.Count - 1);
        }
    }

    /// <summary>
    /// Runs the source on a background thread, <paramref name="capacity"/> items ahead of the consumer, so reading
    /// and decoding overlap with training. An exception in the source is rethrown to the consumer.
    /// </summary>
    public static IEnumerable<T> Prefetch<T>(this IEnumerable<T> source, int capacity,
        CancellationToken cancel = default)
    {
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(Math.Max(1, capacity)) { SingleReader = true,
            SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var producer = Task.Run(async () =>
        {
            try
            {
                foreach (var item in source) await channel.Writer.WriteAsync(item, stop.Token);
                channel.Writer.Complete();
            }
            catch (Exception e) { channel.Writer.Complete(e); }
        });
        try
        {
            while (channel.Reader.WaitToReadAsync(stop.Token).AsTask().GetAwaiter().GetResult())
                while (channel.Reader.TryRead(out var item)) yield return item;
        }
        finally
        {
            stop.Cancel();
            try { producer.GetAwaiter().GetResult(); } catch (OperationCanceledException) { }
        }
    }
}
