using System.Text.Json;
using System.Text.Json.Serialization;

namespace PowerClip.Train.Evaluation;

/// <summary>
/// A dataset of the paper's table: its id, the CLIP_benchmark names its folder may have (first found wins) and, when
/// it differs from its group's, the benchmark that reads it (zeroshot, retrieval, sugarcrepe, winoground).
/// </summary>
public sealed record PaperDataset(string Id, IReadOnlyList<string> Names, string? Task = null);

/// <summary>A group of the paper's table, the datasets it averages and the averages the paper reports per method
/// (%).</summary>
public sealed record PaperGroup(
    string Id, string? Task, string Title, string Metric, string DatasetsProvenance,
    IReadOnlyList<PaperDataset> Datasets, IReadOnlyDictionary<string, double> Reported)
{
    /// <summary>The benchmark that reads a dataset of this group.</summary>
    public string TaskOf(PaperDataset d) => d.Task ?? Task
        ?? throw new BenchmarkDataException($"paper table: dataset '{d.Id}' of group '{Id}' has no task");
}

/// <summary>
/// The paper's evaluation table (Evaluation/Paper/paper_table.json, embedded; --table replaces it): groups of
/// datasets named as CLIP_benchmark names them, and the averages the paper reports, with their source. Which 17
/// classification datasets and which 6 robustness sets are [reconstructed]: see each group's provenance.
/// </summary>
public sealed record PaperTable(string Source, IReadOnlyList<string> Methods, IReadOnlyList<PaperGroup> Groups)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static readonly string[] Tasks = ["zeroshot", "retrieval", "sugarcrepe", "winoground"];

    /// <summary>The embedded table.</summary>
    public static PaperTable Default()
    {
        using var stream = typeof(PaperTable).Assembly.GetManifestResourceStream("Paper.paper_table.json")
            ?? throw new InvalidOperationException("embedded resource Paper.paper_table.json missing from the build");
        return Parse(new StreamReader(stream).ReadToEnd(), "the built-in paper table");
    }

    /// <summary>A table file; a malformed one is a data error naming the file.</summary>
    public static PaperTable Load(string path) => Parse(File.ReadAllText(BenchmarkFiles.RequireFile(path)), path);

    private static PaperTable Parse(string text, string where)
    {
        try
        {
            var table = JsonSerializer.Deserialize<PaperTable>(text, Json)
                ?? throw new BenchmarkDataException($"{where}: empty");
            if (table.Groups is null || table.Groups.Count == 0)
                throw new BenchmarkDataException($"{where}: no groups");
            foreach (var g in table.Groups)
            {
                if (g.Datasets is null || g.Datasets.Count == 0
                    || g.Datasets.Any(d => d.Names is null || d.Names.Count == 0))
                    throw new BenchmarkDataException(
                        $"{where}: group '{g.Id}' needs datasets, each with at least one name");
                foreach (var d in g.Datasets)
                    if (!Tasks.Contains(d.Task ?? g.Task))
                        throw new BenchmarkDataException($"{where}: dataset '{d.Id}': task '{d.Task ?? g.Task}' " +
                            $"is not one of {string.Join(", ", Tasks)}");
            }
            return table;
        }
        catch (JsonException e) { throw new BenchmarkDataException($"{where}: malformed table: {e.Message}", e); }
    }

    /// <summary>
    /// The folder of a dataset under ROOT, as CLIP_benchmark's downloads are named: for each name n, ROOT/n,
    /// ROOT/n with "/" as "-", and ROOT/wds_n with "/" as "-" (the Hugging Face clip-benchmark/wds_* repositories).
    /// Returns the folder and the name it matched, or null when none exists.
    /// </summary>
    public static (string Folder, string Name)? Locate(string root, PaperDataset dataset)
    {
        foreach (var name in dataset.Names)
        {
            var dashed = name.Replace('/', '-');
            foreach (var candidate in new[] { name, dashed, "wds_" + dashed })
            {
                var folder = Path.Combine(root, candidate);
                if (Directory.Exists(folder)) return (folder, name);
            }
        }
        return null;
    }
}
