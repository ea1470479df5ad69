using PowerClip.Train.Training;
using TorchSharp;

namespace PowerClip.Train.Experiments;

/// <summary>How <see cref="ResumableRun.Ensure"/> got a finished run: there already, continued, or trained.</summary>
public enum RunOutcome { Reused, Resumed, Trained }

/// <summary>
/// One arm of an experiment (the demo's, the study's) as a run folder that is trained to completion once: a folder
/// whose config.json equals the arm's config and that holds the final step's checkpoint is reused without touching
/// it (no model or data is even built); one with an earlier checkpoint resumes from its latest; an empty one trains.
/// A folder trained with other settings is an error, never overwritten. A native error inside libtorch (an
/// <see cref="System.Runtime.InteropServices.ExternalException"/>, <see cref="NativeRetry"/>) is retried from the
/// arm's latest checkpoint, which continues bit-identically, so the arm's outcome is what an uninterrupted run gives.
/// </summary>
public static class ResumableRun
{
    public static (RunOutcome Outcome, string Checkpoint) Ensure(TrainConfig config, string runDir, torch.Device device,
                                                                 TimeSpan? progressInterval = null)
    {
        var configPath = new RunFolder(runDir).Config;
        string? resume = null;
        if (File.Exists(configPath))
        {
            if (File.ReadAllText(configPath) != config.ToJson())
                throw new InvalidOperationException(
                    $"{runDir} holds a run with other settings; pass another --out (or delete it) to start afresh");
            if (Finished(config, runDir) is { } done) return (RunOutcome.Reused, done);
            if (new CheckpointStore(runDir).List().Count > 0) resume = "latest";
        }
        // A resume takes the checkpoint's thread count (exact continuation); the experiment's other arms keep theirs.
        var threads = torch.get_num_threads();
        // Decided before any retry: an arm this call started from scratch was trained by it, even when a native
        // error made it continue from its own checkpoint (a study test saw Resumed for such an arm under load).
        var outcome = resume is null ? RunOutcome.Trained : RunOutcome.Resumed;
        try
        {
            var last = NativeRetry.Run(runDir, () => TrainingRun.Run(config, runDir, device, resume, progressInterval),
                beforeRetry: () => resume = new CheckpointStore(runDir).List().Count > 0 ? "latest" : null);
            return (outcome, last);
        }
        finally
        {
            if (torch.get_num_threads() != threads) torch.set_num_threads(threads);
        }
    }

    /// <summary>The final checkpoint when the folder holds a finished run of this config, else null.</summary>
    public static string? Finished(TrainConfig config, string runDir)
    {
        var configPath = new RunFolder(runDir).Config;
        if (!File.Exists(configPath) || File.ReadAllText(configPath) != config.ToJson()) return null;
        var checkpoints = new CheckpointStore(runDir).List();
        return checkpoints.Count > 0 && checkpoints[^1].Step >= config.Optimizer.Steps
            ? checkpoints[^1].Directory : null;
    }
}
