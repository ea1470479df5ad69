using System.Text.Json;
using System.Text.Json.Nodes;

namespace PowerClip.Data;

/// <summary>
/// Exports benchmarks built from the synthetic world in the public formats, so one evaluator serves both the
/// synthetic and the real benchmarks. Layout under the output folder:
///   sugarcrepe/images/*.png + {add_att,add_obj,replace_att,replace_obj,replace_rel,swap_att,swap_obj}.json
///       each {"id": {"filename", "caption", "negative_caption"}} (SugarCrepe's files)
///   winoground/images/ex_N_img_{0,1}.png + examples.jsonl (Winoground's fields: caption_0/1, image_0/1, tag)
///   aro/images/*.png + visual_genome_relation.json, visual_genome_attribution.json (ARO's fields: image_path under
///       images/, bbox_x/y/w/h = the whole image, true_caption, false_caption, relation_name or attributes)
///   zeroshot/test/LABEL/*.png + classnames.txt, zeroshot_classification_templates.txt ({c}), heldout_classes.txt
///       (CLIP_benchmark's image-folder layout: one folder per class, named by its label index)
///   retrieval/images/*.png + dataset_synthetic.json (Karpathy split format, several captions per image)
///   grounding/images/*.png + grounding.json (ours: per phrase its type, words and target patch mask; GroundingExport)
///   robustness/{outline,texture,palette}/ the zero-shot scenes rendered under a shift (RobustnessExport)
/// Samples come from the given split (default test: every item contains a held-out combination).
/// </summary>
public sealed class BenchmarkExporter(SyntheticWorld world, WorldSplit split = WorldSplit.Test)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static readonly string[] Templates =
        ["a photo of a {c}.", "a {c}.", "an image of a {c}.", "a rendering of a {c}."];

    /// <summary>Writes every benchmark; returns the number of items per file.</summary>
    public IReadOnlyDictionary<string, int> ExportAll(string outDir, int count, int perClass, int captionsPerImage = 5)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var kv in SugarCrepe(Path.Combine(outDir, "sugarcrepe"), count)) counts["sugarcrepe/" + kv.Key] =
            kv.Value;
        counts["winoground/examples.jsonl"] = Winoground(Path.Combine(outDir, "winoground"), count);
        foreach (var kv in Aro(Path.Combine(outDir, "aro"), count)) counts["aro/" + kv.Key] = kv.Value;
        counts["zeroshot/test"] = ZeroShot(Path.Combine(outDir, "zeroshot"), perClass);
        counts["retrieval/dataset_synthetic.json"] = Retrieval(Path.Combine(outDir, "retrieval"), count,
            captionsPerImage);
        counts["grounding/" + GroundingExport.FileName] =
            new GroundingExport(world, split).Write(Path.Combine(outDir, "grounding"), count);
        foreach (var kv in new RobustnessExport(world, split).Write(Path.Combine(outDir, "robustness"), perClass))
            counts[$"robustness/{kv.Key}/test"] = kv.Value;
        return counts;
    }

    public IReadOnlyDictionary<string, int> SugarCrepe(string dir, int count)
    {
        var images = Directory.CreateDirectory(Path.Combine(dir, "images")).FullName;
        var files = HardNegatives.Categories.ToDictionary(c => c, _ => new JsonObject());
        for (var i = 0; i < count; i++)
        {
            var s = world.Sample(split, i);
            var filename = s.Key + ".png";
            File.WriteAllBytes(Path.Combine(images, filename), ImageLoader.EncodePng(s.Image));
            var rng = world.Rng(split, i, stream: 2);
            foreach (var category in HardNegatives.Categories)
                if (HardNegatives.Make(category, s.Scene, s.Caption, rng) is { } negative)
                    files[category][i.ToString()] = new JsonObject { ["filename"] = filename,
                        ["caption"] = s.Caption.Text, ["negative_caption"] = negative.Text };
        }
        foreach (var (category, json) in files) File.WriteAllText(Path.Combine(dir, category + ".json"),
            json.ToJsonString(Indented));
        return files.ToDictionary(kv => kv.Key + ".json", kv => kv.Value.Count);
    }

    /// <summary>
    /// Winoground-style pairs: two images and two captions with the same words. "Relation": the image mirrored so
    /// "a X left of a Y" becomes "a Y left of a X" (or flipped for above/below); "Object": the two objects' colours
    /// exchanged. Every caption is checked strictly true of its image and loosely false of the other.
    /// </summary>
    public int Winoground(string dir, int count)
    {
        var images = Directory.CreateDirectory(Path.Combine(dir, "images")).FullName;
        var lines = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var s = world.Sample(split, i);
            var rng = world.Rng(split, i, stream: 3);
            if (WinogroundPair(s, rng) is not var (scene1, c0, c1, tag)) continue;
            var (img1, _) = WorldRenderer.Render(scene1, world.Config, rng);
            var id = lines.Count;
            File.WriteAllBytes(Path.Combine(images, $"ex_{id}_img_0.png"), ImageLoader.EncodePng(s.Image));
            File.WriteAllBytes(Path.Combine(images, $"ex_{id}_img_1.png"), ImageLoader.EncodePng(img1));
            lines.Add(new JsonObject
            {
                ["id"] = id, ["image_0"] = $"ex_{id}_img_0", ["image_1"] = $"ex_{id}_img_1",
                ["caption_0"] = c0.Text, ["caption_1"] = c1.Text, ["tag"] = tag, ["secondary_tag"] = "",
                ["num_main_preds"] = 1, ["collapsed_tag"] = tag, ["source_key"] = s.Key,
            }.ToJsonString());
        }
        File.WriteAllLines(Path.Combine(dir, "examples.jsonl"), lines);
        return lines.Count;
    }

    private (WorldScene Scene1, WorldCaption C0, WorldCaption C1, string Tag)? WinogroundPair(WorldSample s, Random rng)
    {
        var scene = s.Scene;
        var size = world.Config.ImageSize;
        var candidates = new List<(WorldScene, WorldCaption, WorldCaption, string)>();
        for (var a = 0; a < scene.Objects.Count; a++)
            for (var b = 0; b < scene.Objects.Count; b++)
            {
                if (a == b) continue;
                var (ma, mb) = (WorldGrammar.Mention(scene, a, false), WorldGrammar.Mention(scene, b, false));
                foreach (var r in new[] { Relation.LeftOf, Relation.Above })
                    if (scene.Holds(a, b, r))
                    {
                        var mirrored = new WorldScene(scene.Objects.Select(o => r == Relation.LeftOf
                            ? o with { X = size - o.X } : o with { Y = size - o.Y }).ToArray(), scene.Background);
                        var sentence = rng.Next(2) == 0;
                        candidates.Add((mirrored, WorldGrammar.Build(scene.Objects.Count, [ma, mb], r, sentence),
                            WorldGrammar.Build(scene.Objects.Count, [mb, ma], r, sentence), "Relation"));
                    }
                if (a < b && ma.Colour != mb.Colour)
                {
                    var recoloured = new WorldScene(scene.Objects.Select((o, k) => k == a
                        ? o with { Colour = mb.Colour } : k == b ? o with { Colour = ma.Colour } : o).ToArray(),
                        scene.Background);
                    candidates.Add((recoloured, WorldGrammar.Build(scene.Objects.Count, [ma, mb], null, false),
                        WorldGrammar.Build(scene.Objects.Count, [ma with { Colour = mb.Colour },
                            mb with { Colour = ma.Colour }], null, false), "Object"));
                }
            }
        foreach (var (scene1, c0, c1, tag) in candidates.OrderBy(_ => rng.Next()))
            if (WorldTruth.IsTrue(scene, c0) && WorldTruth.IsTrue(scene1, c1)
                && !WorldTruth.IsTrue(scene, c1, strict: false) && !WorldTruth.IsTrue(scene1, c0, strict: false))
                return (scene1, c0, c1, tag);
        return null;
    }

    /// <summary>ARO-style order tests: VG-Relation (subject and object exchanged) and VG-Attribution (attributes
    /// exchanged).</summary>
    public IReadOnlyDictionary<string, int> Aro(string dir, int count)
    {
        var images = Directory.CreateDirectory(Path.Combine(dir, "images")).FullName;
        var relation = new JsonArray();
        var attribution = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            var s = world.Sample(split, i);
            var scene = s.Scene;
            var filename = s.Key + ".png";
            var wrote = false;
            void Save() { if (!wrote) File.WriteAllBytes(Path.Combine(images, filename),
                ImageLoader.EncodePng(s.Image)); wrote = true; }
            if (s.Caption.Fact is { } f)
            {
                var (ma, mb) = (WorldGrammar.Mention(scene, f.Subject, false),
                    WorldGrammar.Mention(scene, f.Object, false));
                var t = WorldGrammar.Build(scene.Objects.Count, [ma, mb], f.Relation, true);
                var fl = WorldGrammar.Build(scene.Objects.Count, [mb, ma], f.Relation, true);
                if (WorldTruth.IsTrue(scene, t) && !WorldTruth.IsTrue(scene, fl, strict: false))
                {
                    Save();
                    var name = string.Join(' ', WorldVocabulary.Words(f.Relation));
                    relation.Add(AroItem(filename, s.Image, t.Text, fl.Text, "relation_name", name));
                }
            }
            for (var a = 0; a + 1 < scene.Objects.Count; a++)
            {
                var (ma, mb) = (WorldGrammar.Mention(scene, a, false), WorldGrammar.Mention(scene, a + 1, false));
                if (ma.Colour == mb.Colour || ma.Shape == mb.Shape) continue;
                var t = WorldGrammar.Build(scene.Objects.Count, [ma, mb], null, false);
                var fl = WorldGrammar.Build(scene.Objects.Count,
                    [ma with { Colour = mb.Colour }, mb with { Colour = ma.Colour }], null, false);
                if (!WorldTruth.IsTrue(scene, fl, strict: false))
                {
                    Save();
                    var pair = new JsonArray(WorldVocabulary.Word(ma.Colour), WorldVocabulary.Word(mb.Colour));
                    attribution.Add(AroItem(filename, s.Image, t.Text, fl.Text, "attributes", pair));
                    break;
                }
            }
        }
        File.WriteAllText(Path.Combine(dir, "visual_genome_relation.json"), relation.ToJsonString(Indented));
        File.WriteAllText(Path.Combine(dir, "visual_genome_attribution.json"), attribution.ToJsonString(Indented));
        return new Dictionary<string, int> { ["visual_genome_relation.json"] = relation.Count,
            ["visual_genome_attribution.json"] = attribution.Count };
    }

    /// <summary>An ARO item as the official files hold it; the box is the whole image (the world needs no
    /// crop).</summary>
    private static JsonObject AroItem(
        string filename, RgbImage image, string trueCaption, string falseCaption, string groupField, JsonNode group) =>
        new()
    {
        ["image_path"] = filename, ["bbox_x"] = 0, ["bbox_y"] = 0, ["bbox_w"] = image.Width, ["bbox_h"] = image.Height,
        ["true_caption"] = trueCaption, ["false_caption"] = falseCaption, [groupField] = group,
    };

    /// <summary>
    /// Zero-shot classification over all colour×shape classes ("red circle"): one single-object image folder per
    /// class (folder name = label index, unpadded: readers must map "10" to 10, not sort), class names and templates.
    /// A <paramref name="style"/> renders the same scenes shifted (the robustness analogue, RobustnessExport).
    /// Held-out classes (never seen in training) are listed in heldout_classes.txt.
    /// </summary>
    public int ZeroShot(string dir, int perClass, RenderStyle? style = null)
    {
        var classes = (from c in WorldVocabulary.Colours from s in WorldVocabulary.Shapes select (c, s)).ToArray();
        Directory.CreateDirectory(dir);
        var written = 0;
        for (var k = 0; k < classes.Length; k++)
        {
            var (colour, shape) = classes[k];
            var label = k.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var folder = Directory.CreateDirectory(Path.Combine(dir, "test", label)).FullName;
            for (var j = 0; j < perClass; j++)
            {
                var rng = world.Rng(split, (long)k * 1_000_000 + j, stream: 4);
                var size = rng.Next(2) == 0 ? ObjectSize.Small : ObjectSize.Large;
                var radius = WorldVocabulary.RadiusFraction(size) * world.Config.ImageSize;
                var range = world.Config.ImageSize - 2 * radius - 2;
                var obj = new WorldObject(shape, colour, size, radius + 1 + rng.NextDouble() * range, radius + 1
                    + rng.NextDouble() * range, radius);
                var scene = new WorldScene([obj], ((byte)rng.Next(20, 70), (byte)rng.Next(20, 70),
                    (byte)rng.Next(20, 70)));
                var (image, _) = WorldRenderer.Render(scene, world.Config, rng, style);
                File.WriteAllBytes(Path.Combine(folder, $"{k:D3}_{j:D4}.png"), ImageLoader.EncodePng(image));
                written++;
            }
        }
        string Name((Colour C, Shape S) x) => $"{WorldVocabulary.Word(x.C)} {WorldVocabulary.Word(x.S)}";
        File.WriteAllLines(Path.Combine(dir, "classnames.txt"), classes.Select(Name));
        File.WriteAllLines(Path.Combine(dir, "zeroshot_classification_templates.txt"), Templates);
        File.WriteAllLines(Path.Combine(dir, "heldout_classes.txt"),
            classes.Where(x => world.HeldOut.IsHeldOut(x.c, x.s)).Select(Name));
        return written;
    }

    /// <summary>Image–text retrieval in the Karpathy JSON format, with <paramref name="captionsPerImage"/> true
    /// captions per image.</summary>
    public int Retrieval(string dir, int count, int captionsPerImage)
    {
        var images = Directory.CreateDirectory(Path.Combine(dir, "images")).FullName;
        var list = new JsonArray();
        var sentId = 0;
        for (var i = 0; i < count; i++)
        {
            var s = world.Sample(split, i);
            var filename = s.Key + ".png";
            File.WriteAllBytes(Path.Combine(images, filename), ImageLoader.EncodePng(s.Image));
            var captions = new[] { s.Caption }.Concat(world.MoreCaptions(s, captionsPerImage - 1, i)).ToArray();
            var sentences = new JsonArray();
            var ids = new JsonArray();
            foreach (var c in captions)
            {
                sentences.Add(new JsonObject
                {
                    ["raw"] = c.Text, ["tokens"] = new JsonArray(c.Tree.Words.Select(w => (JsonNode)w).ToArray()),
                    ["imgid"] = i, ["sentid"] = sentId, ["tree"] = c.Tree.ToBracketString(),
                });
                ids.Add(sentId++);
            }
            list.Add(new JsonObject { ["filepath"] = "images", ["filename"] = filename, ["imgid"] = i,
                ["split"] = "test", ["sentids"] = ids, ["sentences"] = sentences });
        }
        File.WriteAllText(Path.Combine(dir, "dataset_synthetic.json"),
            new JsonObject { ["dataset"] = "synthetic", ["images"] = list }.ToJsonString(Indented));
        return list.Count;
    }
}
