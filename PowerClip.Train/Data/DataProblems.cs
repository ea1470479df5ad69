using System.Collections.Concurrent;

namespace PowerClip.Train.Data;

/// <summary>
/// Where data problems go: each bad sample (corrupt image, bad tree, missing caption, …) is skipped, counted
/// by reason and logged with its key — a data problem never stops a run. Thread-safe (decoding is parallel).
/// Logs the first <see cref="MaxLogged"/> problems in full, then only counts.
/// </summary>
public sealed class DataProblems(TextWriter? log = null, int maxLogged = 50)
{
    private readonly ConcurrentDictionary<string, int> _counts = new();
    private int _logged;

    public int MaxLogged { get; } = maxLogged;

    /// <summary>Records one problem: <paramref name="reason"/> is a short category (counted), <paramref name="detail"/> says what exactly.</summary>
    public void Report(string key, string reason, string detail)
    {
        _counts.AddOrUpdate(reason, 1, (_, n) => n + 1);
        if (log is not null && Interlocked.Increment(ref _logged) <= MaxLogged)
            lock (log) log.WriteLine($"powerclip: skipped {key}: {reason}: {detail.ReplaceLineEndings(" ")}");
    }

    public int Total => _counts.Values.Sum();

    public int Count(string reason) => _counts.GetValueOrDefault(reason);

    public IReadOnlyDictionary<string, int> Counts => new SortedDictionary<string, int>(_counts, StringComparer.Ordinal);

    /// <summary>One line, e.g. "3 skipped: 2 corrupt image, 1 too large".</summary>
    public string Summary() =>
        Total == 0 ? "0 skipped" : $"{Total} skipped: " + string.Join(", ", Counts.Select(kv => $"{kv.Value} {kv.Key}"));
}
