using PowerClip.Data;

namespace PowerClip.Train.Evaluation;

/// <summary>Pointing accuracy and the per-phrase IoUs of T2R's selected subset, for one phrase type or all.</summary>
public sealed record GroundingScores(Proportion Pointing, IReadOnlyList<double> IoU)
{
    public double MeanIoU => IoU.Count == 0 ? double.NaN : IoU.Average();
}

/// <summary>The grounding result per phrase type (<see cref="GroundingPhraseType"/>) and over all phrases.</summary>
public sealed record GroundingBenchmarkResult(int Items, int Phrases, int Truncated,
                                              SortedDictionary<string, GroundingScores> ByType, GroundingScores All)
    : IBenchmarkResult
{
    public string Benchmark => "grounding";

    /// <summary>Pointing accuracy rows; the IoUs are means, not proportions: <see cref="IoURows"/>.</summary>
    public IEnumerable<(string Metric, Proportion Value)> Rows() =>
        ByType.Select(kv => ($"pointing: {kv.Key}", kv.Value.Pointing)).Append(("pointing: all", All.Pointing));

    public IEnumerable<(string Metric, double Mean, int N)> IoURows() =>
        ByType.Select(kv => ($"IoU: {kv.Key}", kv.Value.MeanIoU, kv.Value.IoU.Count))
              .Append(("IoU: all", All.MeanIoU, All.IoU.Count));
}

/// <summary>
/// Grounding accuracy on a grounding export (<see cref="GroundingExport"/>: DIR/grounding.json and its images):
/// for every phrase, S1 over the patches from <see cref="IPhraseSimilarity"/>, then <see cref="GroundingMetrics"/>'s
/// pointing hit and selected-subset IoU. Masks given on another grid than the model's are resampled to it.
/// Phrases whose words the text encoder never sees (cut off by its context length) are counted as truncated.
/// </summary>
public static class GroundingBenchmark
{
    public static bool Present(string dir) => File.Exists(Path.Combine(dir, GroundingExport.FileName));

    public static GroundingBenchmarkResult Run(IPhraseSimilarity similarity, string dir)
    {
        BenchmarkFiles.RequireDirectory(dir);
        var items = GroundingFile.Read(dir);
        var byType = new Dictionary<string, (List<bool> Hits, List<double> IoU)>(StringComparer.Ordinal);
        var all = (Hits: new List<bool>(), IoU: new List<double>());
        var truncated = 0;
        foreach (var chunk in items.Chunk(64))
        {
            var queries = chunk.Select(i =>
                new GroundingQuery(i.Image, i.Caption, i.Tree, i.Phrases.Select(p => p.Leaves).ToArray()));
            var s1 = similarity.Similarities(queries.ToArray());
            for (var k = 0; k < chunk.Length; k++)
                for (var p = 0; p < chunk[k].Phrases.Count; p++)
                {
                    var phrase = chunk[k].Phrases[p];
                    if (s1[k][p] is not { } scores) { truncated++; continue; }
                    var mask = MaskOn((int)Math.Round(Math.Sqrt(scores.Length)), chunk[k].GridSize, phrase.Mask);
                    var hit = GroundingMetrics.Pointing(scores, mask);
                    var iou = GroundingMetrics.SelectedIoU(scores, mask);
                    if (!byType.TryGetValue(phrase.Type, out var list)) byType[phrase.Type] = list = ([], []);
                    list.Hits.Add(hit); list.IoU.Add(iou);
                    all.Hits.Add(hit); all.IoU.Add(iou);
                }
        }
        if (all.Hits.Count == 0)
            throw new BenchmarkDataException(
                $"{dir}: no phrase could be scored ({truncated} cut off by the text encoder's context)");
        var types = new SortedDictionary<string, GroundingScores>(StringComparer.Ordinal);
        foreach (var (type, (hits, iou)) in byType)
            types[type] = new GroundingScores(Proportion.Count(hits), iou.ToArray());
        var overall = new GroundingScores(Proportion.Count(all.Hits), all.IoU.ToArray());
        return new GroundingBenchmarkResult(items.Count, all.Hits.Count + truncated, truncated, types, overall);
    }

    /// <summary>
    /// A mask given on <paramref name="fileGrid"/> on the model's grid: the new cells whose centres fall in the mask;
    /// a small object that covers no new centre keeps the new cells under its old cells' centres.
    /// </summary>
    public static HashSet<int> MaskOn(int grid, int fileGrid, int[] mask)
    {
        if (grid == fileGrid) return mask.ToHashSet();
        var resampled = new RegionMasks(fileGrid, [mask]).Resample(grid).Patches[0];
        if (resampled.Length > 0) return resampled.ToHashSet();
        int Scale(int cell) => (int)((cell + 0.5) * grid / fileGrid);
        return mask.Select(p => Scale(p / fileGrid) * grid + Scale(p % fileGrid)).ToHashSet();
    }
}

/// <summary>One image and caption and the phrases to ground in it (word indices into the tree's leaves).</summary>
public sealed record GroundingQuery(string ImagePath, string Caption, string Tree, IReadOnlyList<int[]> PhraseLeaves);

/// <summary>S1 over the image's patches per phrase of a query (null: a phrase the text encoder does not see).</summary>
public interface IPhraseSimilarity
{
    IReadOnlyList<IReadOnlyList<float[]?>> Similarities(IReadOnlyList<GroundingQuery> queries);
}
