using System.Text.Json;

namespace PowerClip.Train.Training;

/// <summary>
/// Metrics as JSON lines, one object per logged step, flushed line by line so a killed run keeps
/// what it logged. On resume, lines from steps after the checkpoint are dropped, so the file reads
/// as if the run had never been interrupted.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    private readonly StreamWriter _writer;

    public string Path { get; }

    private MetricsLog(string path, StreamWriter writer) { Path = path; _writer = writer; }

    /// <summary>Opens the log; keeps lines whose "step" is below <paramref name="resumeStep"/> (none when starting
    /// fresh).</summary>
    public static MetricsLog Open(string path, int resumeStep)
    {
        if (File.Exists(path))
        {
            var kept = File.ReadLines(path).Where(line => StepOf(line) is int s && s < resumeStep).ToList();
            AtomicFile.WriteAllText(path, kept.Count == 0 ? "" : string.Join('\n', kept) + "\n");
        }
        var writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) {
            AutoFlush = true };
        return new MetricsLog(path, writer);
    }

    public void Write(IReadOnlyDictionary<string, object> record) =>
        _writer.WriteLine(JsonSerializer.Serialize(record));

    public static IEnumerable<JsonElement> Read(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone());

    private static int? StepOf(string line)
    {
        if (line.Length == 0) return null;
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.TryGetProperty("step", out var s) && s.TryGetInt32(out var v) ? v : null;
        }
        catch (JsonException)
        {
            return null; // a line torn by a crash is dropped
        }
    }

    public void Dispose() => _writer.Dispose();
}
