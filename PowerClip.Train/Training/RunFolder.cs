namespace PowerClip.Train.Training;

/// <summary>
/// A training run's folder and the names of what it holds, in one place: config.json (the resolved
/// <see cref="TrainConfig"/>), metrics.jsonl (one JSON object per logged step) and checkpoints/ (one folder per
/// checkpoint, see <see cref="CheckpointStore"/>). A checkpoint folder holds the weights, the optimizer state, the
/// trainer's state and a copy of config.json, so that it can be evaluated on its own.
/// </summary>
public sealed record RunFolder(string Root)
{
    public const string ConfigFile = "config.json";
    public const string MetricsFile = "metrics.jsonl";
    public const string CheckpointsDirectory = "checkpoints";
    public const string WeightsFile = "model.safetensors";
    public const string OptimizerFile = "optimizer.bin";
    public const string StateFile = "trainer-state.json";
    /// <summary>An objective's own state (A-CLIP: EMA encoder and heads), beside the model's weights.</summary>
    public const string ObjectiveStateFile = "objective.safetensors";
    /// <summary>Every rank's data position (<see cref="DataPositionFile"/>).</summary>
    public const string PositionsFile = "data-position.json";
    /// <summary>Written last: every other file's size and SHA-256 (<see cref="CheckpointManifest"/>).</summary>
    public const string ManifestFile = "manifest.json";

    public string Config => Path.Combine(Root, ConfigFile);
    public string Metrics => Path.Combine(Root, MetricsFile);
    public string Checkpoints => Path.Combine(Root, CheckpointsDirectory);

    /// <summary>Whether <paramref name="path"/> looks like a run folder (it has a checkpoints folder).</summary>
    public static bool IsRun(string path) => Directory.Exists(Path.Combine(path, CheckpointsDirectory));

    /// <summary>Whether <paramref name="path"/> is a checkpoint folder (it holds weights).</summary>
    public static bool IsCheckpoint(string path) => File.Exists(Path.Combine(path, WeightsFile));

    /// <summary>The config a checkpoint was trained with: its own copy, else its run folder's
    /// (RUN/checkpoints/step-N).</summary>
    public static string ConfigOfCheckpoint(string checkpointDirectory)
    {
        var own = Path.Combine(checkpointDirectory, ConfigFile);
        return File.Exists(own) ? own : Path.Combine(checkpointDirectory, "..", "..", ConfigFile);
    }
}
