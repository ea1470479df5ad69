using System.Text.Json;
using System.Text.Json.Nodes;

namespace PowerClip.Data;

/// <summary>One mask of a segmenter's automatic mask generator, with the scores it was kept for.</summary>
public sealed record SamMask(RleMask Mask, double PredictedIou, double StabilityScore)
{
    public long Area => Mask.Area;
}

/// <summary>
/// SAM/SAM2 automatic-mask-generator output for one image, as those tools write it: segment-anything's
/// scripts/amg.py --convert-to-rle writes, per image, "NAME.json" = json.dump(masks) of
/// SamAutomaticMaskGenerator(output_mode="coco_rle").generate(image) — a list of annotations
/// {"segmentation": {"size": [h, w], "counts": "…"}, "area", "bbox", "predicted_iou", "point_coords",
/// "stability_score", "crop_box"}; SAM2's SAM2AutomaticMaskGenerator returns the same records. SA-1B's
/// per-image files wrap the same annotations as {"image": {…}, "annotations": […]}: read too. Uncompressed
/// RLE ("counts" a list, output_mode="uncompressed_rle") is accepted.
/// </summary>
public static class SamMaskFile
{
    public static IReadOnlyList<SamMask> Read(string path)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new FormatException($"not JSON: {e.Message}", e); }
        return Parse(root);
    }

    public static IReadOnlyList<SamMask> Parse(JsonNode? root)
    {
        var list = root switch
        {
            JsonArray a => a,
            JsonObject o when o["annotations"] is JsonArray a => a,
            _ => throw new FormatException(
                "expected a list of mask records (SAM amg.py --convert-to-rle) or {\"annotations\": [...]} (SA-1B)"),
        };
        return list.Select((node, i) =>
        {
            try
            {
                var record = node as JsonObject ?? throw new FormatException("not an object");
                var mask = RleMask.Parse(record["segmentation"] ?? throw new FormatException("no 'segmentation'"));
                return new SamMask(mask, Score(record, "predicted_iou"), Score(record, "stability_score"));
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                throw new FormatException($"mask record {i}: {e.Message}", e);
            }
        }).ToArray();
    }

    private static double Score(JsonObject record, string name) => record[name]?.GetValue<double>() ?? double.NaN;

    /// <summary>
    /// The masks to store for one image ([reconstructed] storage cap: the paper stores SAM masks and draws M per
    /// step; it does not say how many it kept): masks under <paramref name="minAreaFraction"/> of the image are
    /// dropped, the rest ranked by predicted_iou (highest first; missing scores last), then by area (largest
    /// first), then in file order, and the first <paramref name="maxMasks"/> kept (0 = all).
    /// </summary>
    public static IReadOnlyList<SamMask> Select(IReadOnlyList<SamMask> masks, int maxMasks, double minAreaFraction)
    {
        if (maxMasks < 0)
            throw new ArgumentOutOfRangeException(nameof(maxMasks), maxMasks, "the cap must be >= 0 (0 keeps all)");
        var ranked = masks
            .Select((m, i) => (m, i))
            .Where(x => x.m.Area > 0 && x.m.Area >= minAreaFraction * x.m.Mask.Height * x.m.Mask.Width)
            .OrderByDescending(x => double.IsNaN(x.m.PredictedIou) ? double.NegativeInfinity : x.m.PredictedIou)
            .ThenByDescending(x => x.m.Area)
            .ThenBy(x => x.i)
            .Select(x => x.m);
        return (maxMasks > 0 ? ranked.Take(maxMasks) : ranked).ToArray();
    }
}
