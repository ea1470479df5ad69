using System.Collections.Concurrent;

namespace PowerClip.Data;

/// <summary>
/// Where data problems go: a bad sample (corrupt image, missing caption, …) is skipped, counted by reason and
/// logged with its key; a sample with a repairable flaw (a shipped tree that does not fit its caption) is kept,
/// repaired, and counted and logged the same way. A data problem never stops a run. Thread-safe (decoding is
/// parallel). Logs the first <see cref="MaxLogged"/> problems in full, then only counts.
/// </summary>
public sealed class DataProblems(TextWriter? log = null, int maxLogged = 50)
{
    private readonly ConcurrentDictionary<string, int> _skipped = new();
    private readonly ConcurrentDictionary<string, int> _repaired = new();
    private int _logged;

    public int MaxLogged { get; } = maxLogged;

    /// <summary>A skipped sample: <paramref name="reason"/> is a short category (counted), <paramref name="detail"/>
    /// says what exactly.</summary>
    public void Report(string key, string reason, string detail) => Add(_skipped, "skipped", key, reason, detail);

    /// <summary>A kept sample whose flaw was repaired (e.g. its tree replaced by the parser's).</summary>
    public void Repaired(string key, string reason, string detail) => Add(_repaired, "repaired", key, reason, detail);

    private void Add(ConcurrentDictionary<string, int> counts, string what, string key, string reason, string detail)
    {
        counts.AddOrUpdate(reason, 1, (_, n) => n + 1);
        if (log is not null && Interlocked.Increment(ref _logged) <= MaxLogged)
            lock (log) log.WriteLine($"powerclip: {what} {key}: {reason}: {detail.ReplaceLineEndings(" ")}");
    }

    /// <summary>Samples skipped.</summary>
    public int Total => _skipped.Values.Sum();

    public int RepairedTotal => _repaired.Values.Sum();

    /// <summary>Skipped and repaired samples with this reason.</summary>
    public int Count(string reason) => _skipped.GetValueOrDefault(reason) + _repaired.GetValueOrDefault(reason);

    /// <summary>Skipped samples by reason.</summary>
    public IReadOnlyDictionary<string, int> Counts => new SortedDictionary<string, int>(_skipped,
        StringComparer.Ordinal);

    /// <summary>One line, e.g. "3 skipped: 2 corrupt image, 1 too large; 1 repaired: 1 bad tree".</summary>
    public string Summary()
    {
        var line = Total == 0 ? "0 skipped" : $"{Total} skipped: "
            + string.Join(", ", Counts.Select(kv => $"{kv.Value} {kv.Key}"));
        if (RepairedTotal > 0)
            line += $"; {RepairedTotal} repaired: " + string.Join(", ",
                new SortedDictionary<string, int>(_repaired, StringComparer.Ordinal)
                .Select(kv => $"{kv.Value} {kv.Key}"));
        return line;
    }
}
