using System.Text.Json.Nodes;
using PowerClip.Data;

namespace PowerClip.Train.Evaluation;

/// <summary>One phrase of a grounding item as the file gives it.</summary>
public sealed record GroundingPhraseEntry(string Type, string Text, int[] Leaves, int[] Mask);

/// <summary>One item of a grounding file: the image path (resolved), caption, PTB tree, grid and phrases.</summary>
public sealed record GroundingItem(string Id, string Image, string Caption, string Tree, int GridSize,
                                   IReadOnlyList<GroundingPhraseEntry> Phrases);

/// <summary>Reads DIR/grounding.json (format: <see cref="GroundingExport"/>); a problem names file and item.</summary>
public static class GroundingFile
{
    public static IReadOnlyList<GroundingItem> Read(string dir)
    {
        var file = Path.Combine(dir, GroundingExport.FileName);
        var root = BenchmarkFiles.Object(BenchmarkFiles.Json(file), file);
        var format = root["format"]?.ToString();
        if (format != GroundingExport.Format)
            throw new BenchmarkDataException($"{file}: format '{format}' is not {GroundingExport.Format}");
        var grid = Int(root, "grid_size", file);
        if (grid < 1) throw new BenchmarkDataException($"{file}: grid_size must be >= 1, got {grid}");
        var array = Field(root, "items", file);
        if (array.Count == 0) throw new BenchmarkDataException($"{file}: no items");
        var items = new List<GroundingItem>();
        for (var k = 0; k < array.Count; k++)
        {
            var where = $"{file} item {k}";
            var item = BenchmarkFiles.Object(array[k] ?? throw new BenchmarkDataException($"{where}: null"), where);
            var image = Path.Combine(dir, BenchmarkFiles.Text(item, "image", where));
            if (!File.Exists(image)) throw new BenchmarkDataException($"{where}: image not found: {image}");
            var caption = BenchmarkFiles.Text(item, "caption", where);
            var tree = BenchmarkFiles.Text(item, "tree", where);
            ConstituencyTree parsed;
            try { parsed = PtbBrackets.Parse(tree); }
            catch (FormatException e)
            {
                throw new BenchmarkDataException($"{where}: tree does not parse: {e.Message}", e);
            }
            var phrases = Field(item, "phrases", where)
                .Select((p, j) => Phrase(p, $"{where} phrase {j}", parsed, grid)).ToArray();
            items.Add(new GroundingItem(BenchmarkFiles.Text(item, "id", where), image, caption, tree, grid, phrases));
        }
        return items;
    }

    private static GroundingPhraseEntry Phrase(JsonNode? node, string where, ConstituencyTree tree, int grid)
    {
        var o = BenchmarkFiles.Object(node ?? throw new BenchmarkDataException($"{where}: null"), where);
        var type = BenchmarkFiles.Text(o, "type", where);
        var text = BenchmarkFiles.Text(o, "text", where);
        var leaves = Ints(o, "leaves", where);
        var mask = Ints(o, "mask", where);
        if (leaves.Length == 0 || leaves.Any(l => l < 0 || l >= tree.LeafCount))
            throw new BenchmarkDataException($"{where}: leaves must be word indices in 0..{tree.LeafCount - 1}");
        var words = string.Join(' ', leaves.Select(l => tree.Words[l]));
        if (!string.Equals(words, text, StringComparison.OrdinalIgnoreCase))
            throw new BenchmarkDataException(
                $"{where}: leaves {string.Join(",", leaves)} are the words '{words}', not the text '{text}'");
        if (mask.Length == 0 || mask.Any(m => m < 0 || m >= grid * grid))
            throw new BenchmarkDataException(
                $"{where}: mask must be a non-empty list of patch indices in 0..{grid * grid - 1}");
        return new GroundingPhraseEntry(type, text, leaves, mask.Distinct().Order().ToArray());
    }

    private static JsonArray Field(JsonObject o, string field, string where) =>
        BenchmarkFiles.Array(o[field] ?? throw Missing(field, where), $"{where} {field}");

    private static BenchmarkDataException Missing(string field, string where) =>
        new($"{where}: missing field '{field}'");

    private static int Int(JsonObject o, string field, string where)
    {
        try { return o[field]?.GetValue<int>() ?? throw Missing(field, where); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new BenchmarkDataException($"{where}: field '{field}' is not an integer", e);
        }
    }

    private static int[] Ints(JsonObject o, string field, string where)
    {
        var array = Field(o, field, where);
        try
        {
            return array.Select(n => n?.GetValue<int>() ?? throw new BenchmarkDataException($"{where}: a null {field}"))
                        .ToArray();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new BenchmarkDataException($"{where}: '{field}' must hold integers", e);
        }
    }
}
