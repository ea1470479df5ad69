using PowerClip.Data;
using PowerClip.Train.Models;
using PowerClip.Train.Training.Distributed;
using TorchSharp;

namespace PowerClip.Train.Training;

/// <summary>
/// One training run end to end, as `powerclip train`, the demo and the notebooks start it: the run folder's
/// config.json, the model and its inputs, the data feed, the objective, the trainer (resumed when asked).
/// </summary>
public static class TrainingRun
{
    /// <summary>
    /// Trains (or resumes) a run; returns the trainer's final checkpoint folder. With <paramref name="distributed"/>
    /// this process is one rank: it reads its part of the data, the loss is the global batch's, rank 0 alone writes.
    /// <paramref name="threads"/>: the CPU thread count the user asked for; null: a resumed run takes the checkpoint's.
    /// </summary>
    public static string Run(TrainConfig config, string runDir, torch.Device device, string? resume = null,
        TimeSpan? progressInterval = null,
                             IDistributedContext? distributed = null, int? threads = null)
    {
        var main = distributed?.IsMain ?? true;
        var folder = new RunFolder(runDir);
        Directory.CreateDirectory(runDir);
        if (main) AtomicFile.WriteAllText(folder.Config, config.ToJson());
        var inputs = ModelFactory.Inputs(config);
        var problems = new DataProblems(Console.Error);
        using var model = ModelFactory.Create(inputs.Model, config.Optimizer.Seed, device);
        using var feed = TrainingSetup.Feed(config, inputs, problems, distributed);
        using var task = new ClipTrainable(model, inputs, TrainingSetup.Objective(config), feed, config, device);
        var regions = RegionSourceCheck.Require(config, inputs.Model, task.Objective.NeedsRegions);
        if (main && regions is not null) Console.WriteLine(regions);
        using var trainer = new Trainer(task, config.Optimizer, runDir, distributed);
        if (resume is not null)
        {
            var (checkpoint, note) = trainer.Checkpoints.ResolveIntact(resume);
            if (main && note is not null) Console.Error.WriteLine($"powerclip: warning: {note}");
            trainer.Resume(checkpoint);
            if (main) Console.WriteLine($"resuming {runDir} from {checkpoint} (step {trainer.Step})");
            if (main && !trainer.DataPositionRestored)
            {
                var samples = (long)trainer.Step * config.Optimizer.AccumulationSteps * config.BatchSize;
                Console.Error.WriteLine($"powerclip: warning: {checkpoint} holds no data position (an older " +
                                        $"checkpoint): reading the {samples} samples before it again to reach it");
            }
            RestoreThreads(trainer.ResumedState?.Threads, threads, main);
        }
        if (main) Console.WriteLine($"training {config.Loss} on {config.Data} with {config.Model} " +
            $"({model.parameters().Sum(p => p.numel()):N0} parameters) on {device}: {config.Optimizer.Steps} steps " +
            $"of {config.BatchSize}" +
                                    (distributed is null ? "" : $" per rank × {distributed.Size} ranks"));
        if (main && config.PowerclipLiteralForm is { } literal)
        {
            var p = config.LossSettings.PowerClip;
            Console.WriteLine($"powerclip: λ {p.Lambda:g}, δ {p.Delta:g} with score scale " +
                              $"{PowerClip.Model.LossSettingNames.ScoreScale.NameOf(p.Scale)}; on the paper's " +
                                  "literal S̄ that is " +
                              $"λ {literal.Lambda:g}, δ {literal.Delta:g} (M = {config.Regions})");
        }
        trainer.Run(progressInterval);
        // Other ranks do not wait for rank 0's last write, so they name it instead of looking it up.
        var last = main ? trainer.Checkpoints.Resolve("latest") : Path.Combine(trainer.Checkpoints.Root,
            CheckpointStore.NameOf(trainer.Step));
        if (main) Console.WriteLine($"done: metrics {folder.Metrics}, checkpoint {last}" +
                          (problems.Total + problems.RepairedTotal > 0 ? $"; data: {problems.Summary()}" : ""));
        return last;
    }

    /// <summary>
    /// The number of CPU threads decides how libtorch splits its sums, so it changes the last bits of every
    /// step: a resumed run computes with the checkpoint's count unless the user gave one, and then says that
    /// the continuation will not be bit-identical.
    /// </summary>
    private static void RestoreThreads(int? saved, int? given, bool main)
    {
        if (saved is not int count || count == torch.get_num_threads()) return;
        if (given is null) torch.set_num_threads(count);
        else if (main)
            Console.Error.WriteLine($"powerclip: warning: this run uses {given} CPU thread(s), the checkpoint was " +
                                    $"computed with {count}: it continues correctly but not bit-identically to an " +
                                    "uninterrupted run (omit --threads to use the checkpoint's)");
    }
}
