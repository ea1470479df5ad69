using System.Text.Json.Nodes;

namespace PowerClip.Train.Evaluation;

/// <summary>
/// ARO's COCO-Order and Flickr30k-Order (dataset_zoo/aro_datasets.py, COCO_Order / Flickr30k_Order): the Karpathy test
/// files in BLIP's form, coco_karpathy_test.json and flickr30k_test.json — arrays of {"image": path relative to the
/// folder holding the file (val2014/…jpg, flickr30k-images/…jpg), "caption": [captions]}. Every caption becomes one
/// test case with five options: pre_caption(caption) and pre_caption of its four perturbations
/// (<see cref="OrderPerturbations"/>); the case is right when the true caption scores at least as high as every
/// perturbed one (the official argmax returns the first maximum, the true caption, on a tie). Metric: precision@1.
/// Perturbations are seeded per (seed, item, caption, perturbation), so a run is repeatable.
/// </summary>
public static class AroOrder
{
    public static readonly (string File, string Test)[] Files =
        [("coco_karpathy_test.json", "coco_order"), ("flickr30k_test.json", "flickr30k_order")];

    public static AroTest Run(IPairScorer scorer, string file, int seed)
    {
        var cases = Cases(file, seed);
        var scores = PairScores.Of(scorer, cases.SelectMany(c => c.Options.Select(o => (c.Image, o))));
        bool Right((string Image, string[] Options) c) =>
            c.Options.Skip(1).All(o => scores[(c.Image, c.Options[0])] >= scores[(c.Image, o)]);
        var hits = cases.Select(Right);
        return new AroTest(Proportion.Count(hits), null, 0, null, null);
    }

    /// <summary>The test cases of one file: image path and the five caption options, the true one first.</summary>
    public static List<(string Image, string[] Options)> Cases(string file, int seed)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(file))!;
        var cases = new List<(string, string[])>();
        var k = 0;
        foreach (var (item, where) in BenchmarkFiles.Objects(BenchmarkFiles.Json(file), file, "item"))
        {
            var image = Path.Combine(dir, BenchmarkFiles.Text(item, "image", where));
            if (!File.Exists(image)) throw new BenchmarkDataException($"{where}: image not found: {image}");
            var captions = Captions(item, where);
            for (var j = 0; j < captions.Length; j++)
            {
                var options = new string[1 + OrderPerturbations.Names.Length];
                options[0] = OrderPerturbations.PreCaption(captions[j]);
                for (var p = 0; p < OrderPerturbations.Names.Length; p++)
                {
                    var perturbed = OrderPerturbations.Apply(p, captions[j], new Random(Seed(seed, k, j, p)));
                    options[p + 1] = OrderPerturbations.PreCaption(perturbed);
                }
                cases.Add((image, options));
            }
            k++;
        }
        if (cases.Count == 0) throw new BenchmarkDataException($"{file}: no items");
        return cases;
    }

    /// <summary>The item's captions: a list (the test files) or one string; each non-empty.</summary>
    private static string[] Captions(JsonObject item, string where)
    {
        var captions = item["caption"] is JsonArray a
            ? a.Select((c, j) => c is JsonValue v && v.TryGetValue<string>(out var s) ? s
                : throw new BenchmarkDataException($"{where} caption {j}: not a string")).ToArray()
            : [BenchmarkFiles.Text(item, "caption", where)];
        for (var j = 0; j < captions.Length; j++)
            if (captions[j].Trim().Length == 0) throw new BenchmarkDataException($"{where} caption {j}: empty caption");
        return captions;
    }

    /// <summary>A stable 31-bit seed from (seed, item, caption, perturbation) (SplitMix64; string hashes differ per
    /// process).</summary>
    public static int Seed(int seed, int item, int caption, int perturbation)
    {
        var z = (ulong)(uint)seed;
        foreach (var v in new[] { item, caption, perturbation })
        {
            z += 0x9E3779B97F4A7C15UL + (ulong)(uint)v;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
        }
        return (int)(z & 0x7FFFFFFF);
    }
}
