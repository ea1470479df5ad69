using System.Text.Json.Nodes;

namespace PowerClip.Train.Training;

/// <summary>
/// data-position.json in a checkpoint: {"ranks": [position of rank 0, rank 1, …]}, each a
/// <see cref="PowerClip.Data.DataPosition"/> (or a task's own JSON) — where every rank's data stream stood.
/// </summary>
public static class DataPositionFile
{
    public const string FileName = RunFolder.PositionsFile;

    public static void Write(string checkpointDirectory, IReadOnlyList<string> ranks) =>
        File.WriteAllText(Path.Combine(checkpointDirectory, FileName),
            new JsonObject { ["ranks"] = new JsonArray(ranks.Select(r => JsonNode.Parse(r)).ToArray()) }
                .ToJsonString());

    /// <summary>
    /// Rank <paramref name="rank"/>'s position, or null when the checkpoint holds none (written before positions were).
    /// </summary>
    public static JsonNode? Read(string checkpointDirectory, int rank, int ranks)
    {
        var path = Path.Combine(checkpointDirectory, FileName);
        if (!File.Exists(path)) return null;
        var all = (JsonNode.Parse(File.ReadAllText(path))?["ranks"] as JsonArray)
                  ?? throw new InvalidDataException($"{path}: expected {{\"ranks\": [...]}}");
        if (all.Count != ranks)
            throw new InvalidOperationException(
                $"{path} holds the data positions of {all.Count} rank(s), this job has {ranks}: " +
                $"resume with {all.Count} rank(s) (each rank's data part depends on the number of ranks)");
        return all[rank]?.DeepClone() ?? throw new InvalidDataException($"{path}: rank {rank}'s position is null");
    }
}
