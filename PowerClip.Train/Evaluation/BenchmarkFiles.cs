using System.Text.Json;
using System.Text.Json.Nodes;

namespace PowerClip.Train.Evaluation;

/// <summary>Reading benchmark files: every problem becomes a <see cref="BenchmarkDataException"/> naming the
/// file.</summary>
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
            return JsonNode.Parse(File.ReadAllText(RequireFile(path)))
                ?? throw new BenchmarkDataException($"{path}: the JSON is null");
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
            catch (JsonException e) { throw new BenchmarkDataException(
                $"{path} line {i + 1}: malformed JSON: {e.Message}", e); }
            yield return (i + 1, node ?? throw new BenchmarkDataException($"{path} line {i + 1}: null"));
        }
    }

    /// <summary>A string field; a missing or non-string field is an error naming the file and the item.</summary>
    public static string Text(JsonNode item, string field, string where)
    {
        try
        {
            return item[field]?.GetValue<string>() ?? throw new BenchmarkDataException(
                $"{where}: missing field '{field}'");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new BenchmarkDataException($"{where}: field '{field}' is not a string", e);
        }
    }

    /// <summary>A field that must be present (any JSON type).</summary>
    public static JsonNode Field(JsonNode item, string field, string where) =>
        item[field] ?? throw new BenchmarkDataException($"{where}: missing field '{field}'");

    /// <summary>A numeric field as a double; missing or not a number is an error naming file and item.</summary>
    public static double Number(JsonNode item, string field, string where)
    {
        try { return Field(item, field, where).GetValue<double>(); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new BenchmarkDataException($"{where}: field '{field}' is not a number", e);
        }
    }

    /// <summary>An integer field (ids); missing or not an integer is an error naming the file and the item.</summary>
    public static long Integer(JsonNode item, string field, string where)
    {
        try { return Field(item, field, where).GetValue<long>(); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new BenchmarkDataException($"{where}: field '{field}' is not an integer", e);
        }
    }

    /// <summary>The elements of an array, each an object, with "{where} {index}" to name it in errors.</summary>
    public static IEnumerable<(JsonObject Item, string Where)> Objects(JsonNode array, string where, string itemWord)
    {
        var list = Array(array, where);
        for (var k = 0; k < list.Count; k++)
        {
            var at = $"{where} {itemWord} {k}";
            yield return (Object(list[k] ?? throw new BenchmarkDataException($"{at}: null"), at), at);
        }
    }

    public static JsonObject Object(JsonNode node, string where) =>
        node as JsonObject ?? throw new BenchmarkDataException($"{where}: expected a JSON object");

    public static JsonArray Array(JsonNode node, string where) =>
        node as JsonArray ?? throw new BenchmarkDataException($"{where}: expected a JSON array");
}
