using System.Text.Json;
using System.Text.Json.Nodes;

namespace PowerClip.Train.Evaluation;

/// <summary>Reading benchmark files: every problem becomes a <see cref="BenchmarkDataException"/> naming the file.</summary>
public static class BenchmarkFiles
{
    public static void RequireDirectory(string dir)
    {
        if (!Directory.Exists(dir)) throw new BenchmarkDataException($"benchmark folder not found: {dir}");
    }

    public static string RequireFile(string path) =>
        File.Exists(path) ? path : throw new BenchmarkDataException($"benchmark file not found: {path}");

    /// <summary>Non-empty lines, trimmed.</summary>
    public static string[] Lines(string path, bool allowEmpty = false)
    {
        var lines = File.ReadAllLines(RequireFile(path)).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (lines.Length == 0 && !allowEmpty) throw new BenchmarkDataException($"{path} is empty");
        return lines;
    }

    public static JsonNode Json(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(RequireFile(path))) ?? throw new BenchmarkDataException($"{path}: the JSON is null");
        }
        catch (JsonException e) { throw new BenchmarkDataException($"{path}: malformed JSON: {e.Message}", e); }
    }

    /// <summary>One JSON value per non-empty line (JSON Lines).</summary>
    public static IEnumerable<(int Line, JsonNode Node)> JsonLines(string path)
    {
        var lines = File.ReadAllLines(RequireFile(path));
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            JsonNode? node;
            try { node = JsonNode.Parse(lines[i]); }
            catch (JsonException e) { throw new BenchmarkDataException($"{path} line {i + 1}: malformed JSON: {e.Message}", e); }
            yield return (i + 1, node ?? throw new BenchmarkDataException($"{path} line {i + 1}: null"));
        }
    }

    /// <summary>A string field; a missing or non-string field is an error naming the file and the item.</summary>
    public static string Text(JsonNode item, string field, string where)
    {
        try
        {
            return item[field]?.GetValue<string>() ?? throw new BenchmarkDataException($"{where}: missing field '{field}'");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new BenchmarkDataException($"{where}: field '{field}' is not a string", e);
        }
    }

    public static JsonObject Object(JsonNode node, string where) =>
        node as JsonObject ?? throw new BenchmarkDataException($"{where}: expected a JSON object");

    public static JsonArray Array(JsonNode node, string where) =>
        node as JsonArray ?? throw new BenchmarkDataException($"{where}: expected a JSON array");
}
