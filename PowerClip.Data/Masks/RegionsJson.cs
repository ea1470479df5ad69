using System.Text.Json.Nodes;

namespace PowerClip.Data;

/// <summary>
/// The JSON form of a sample's region masks (key.regions.json), one of:
/// <list type="bullet">
/// <item>{"masks": [{"size": [h, w], "counts": "…"}, …]}: COCO RLEs at image resolution (what `powerclip data
/// masks` writes from SAM/SAM2 output; any model size and crop can use them). Counts may be compressed
/// (pycocotools' string) or uncompressed (a list); extra fields per mask ("predicted_iou", "area", …) are kept
/// for provenance and ignored.</item>
/// <item>{"grid": G, "patches": [[i, …], …]}: row-major patch indices on a G×G grid laid over the whole image
/// (the synthetic world's form).</item>
/// </list>
/// </summary>
public static class RegionsJson
{
    public static JsonObject Write(RegionMasks masks) => new()
    {
        ["grid"] = masks.GridSize,
        ["patches"] = new JsonArray(masks.Patches
            .Select(p => (JsonNode)new JsonArray(p.Select(i => (JsonNode)i).ToArray())).ToArray()),
    };

    public static JsonObject Write(PixelMasks masks) =>
        new() { ["masks"] = new JsonArray(masks.Masks.Select(m => (JsonNode)m.ToJson()).ToArray()) };

    /// <summary>Parses and validates either form; null (or an empty mask list) stays null.</summary>
    public static IImageRegions? Parse(JsonNode? node)
    {
        if (node is null) return null;
        if (node["masks"] is { } masks)
        {
            var array = masks as JsonArray
                        ?? throw new FormatException("regions: 'masks' must be a list of COCO RLE objects");
            var list = array
                .Select((m, i) => Wrap(i, () => RleMask.Parse(m))).ToArray();
            return list.Length == 0 ? null : PixelMasks.Create(list);
        }
        return ParseGrid(node);
    }

    private static RleMask Wrap(int i, Func<RleMask> parse)
    {
        try { return parse(); }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new FormatException($"regions: mask {i}: {e.Message}", e);
        }
    }

    /// <summary>The grid form: indices inside the grid, returned sorted and distinct.</summary>
    public static RegionMasks ParseGrid(JsonNode node)
    {
        var grid = node["grid"]?.GetValue<int>() ?? throw new FormatException("regions: missing 'grid' (or 'masks')");
        if (grid < 1) throw new FormatException($"regions: grid {grid} must be positive");
        var patches = node["patches"]?.AsArray() ?? throw new FormatException("regions: missing 'patches'");
        var result = patches.Select((p, r) =>
        {
            var region = p ?? throw new FormatException($"regions: region {r} is null");
            var list = region.AsArray().Select(i => i!.GetValue<int>()).ToArray();
            if (list.Any(i => i < 0 || i >= grid * grid))
                throw new FormatException($"regions: region {r} has a patch index outside the {grid}x{grid} grid");
            return list.Distinct().Order().ToArray();
        }).ToArray();
        return new RegionMasks(grid, result);
    }
}
