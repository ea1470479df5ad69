using System.Text.Json;
using System.Text.Json.Nodes;

namespace PowerClip.Data;

/// <summary>
/// The grounding benchmark (ours; no public format exists for it), written from the world's exact trees and
/// masks: DIR/images/KEY.png and DIR/grounding.json,
/// <code>
/// {"format": "powerclip-grounding/1", "image_size": 48, "patch_size": 8, "grid_size": 6,
///  "items": [{"id": KEY, "image": "images/KEY.png", "caption": "...", "tree": "(S ...)",
///             "phrases": [{"type": "object" | "attribute_object" | "relation", "text": "a red circle",
///                          "leaves": [0, 1, 2], "objects": [1], "mask": [7, 8, 13]}]}]}
/// </code>
/// "leaves" are word indices into the tree's leaves (the caption's words, 0-based); "mask" holds row-major patch
/// indices on the grid_size × grid_size patch grid (a patch is in an object's mask when the object paints at
/// least a quarter of it); types: <see cref="GroundingPhraseType"/>. Items with no phrase are left out.
/// </summary>
public sealed class GroundingExport(SyntheticWorld world, WorldSplit split = WorldSplit.Test)
{
    public const string Format = "powerclip-grounding/1";
    public const string FileName = "grounding.json";

    /// <summary>Writes the first <paramref name="count"/> samples of the split; returns the phrase count.</summary>
    public int Write(string dir, int count)
    {
        var images = Directory.CreateDirectory(Path.Combine(dir, "images")).FullName;
        var items = new JsonArray();
        var phrases = 0;
        for (var i = 0; i < count; i++)
        {
            var s = world.Sample(split, i);
            var grounded = GroundingPhrases.Of(s.Scene, s.Caption, s.Masks);
            if (grounded.Count == 0) continue;
            var filename = s.Key + ".png";
            File.WriteAllBytes(Path.Combine(images, filename), ImageLoader.EncodePng(s.Image));
            var list = new JsonArray();
            foreach (var p in grounded)
                list.Add(new JsonObject
                {
                    ["type"] = p.Type, ["text"] = p.Text, ["leaves"] = Array(p.Leaves), ["objects"] = Array(p.Objects),
                    ["mask"] = Array(p.Mask),
                });
            phrases += grounded.Count;
            items.Add(new JsonObject
            {
                ["id"] = s.Key, ["image"] = "images/" + filename, ["caption"] = s.Caption.Text,
                ["tree"] = s.Caption.Tree.ToBracketString(), ["phrases"] = list,
            });
        }
        var root = new JsonObject
        {
            ["format"] = Format, ["image_size"] = world.Config.ImageSize, ["patch_size"] = world.Config.PatchSize,
            ["grid_size"] = world.Config.GridSize, ["items"] = items,
        };
        var json = root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        File.WriteAllText(Path.Combine(dir, FileName), json);
        return phrases;
    }

    private static JsonArray Array(IEnumerable<int> values) => new(values.Select(v => (JsonNode)v).ToArray());
}
