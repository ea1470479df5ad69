using System.CommandLine;
using PowerClip.Train.Data;
using PowerClip.Train.Training;
using TorchSharp;

namespace PowerClip.Train.Commands;

/// <summary>
/// `powerclip train`: one run folder holds config.json (the resolved configuration), metrics.jsonl
/// (one line per step) and checkpoints/ (atomic; `--resume latest` continues from the newest).
/// </summary>
public static class TrainCommand
{
    public const string ConfigFile = "config.json";

    public static Command Create()
    {
        var runtime = new RuntimeOptions();
        var options = new TrainOptions();
        var output = new Option<string>("--out") { Description = "Run folder (config, metrics, checkpoints)", Required = true };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in --out: latest, a step number or a checkpoint folder" };
        var command = new Command("train", "Train a CLIP-family model (CLIP, FLIP, FILIP, SPARC, PowerCLIP and its ablations)") { output, resume };
        foreach (var o in options.All) command.Add(o);
        runtime.AddTo(command);
        command.SetAction(r =>
        {
            var runDir = r.GetValue(output)!;
            TrainConfig config;
            if (r.GetValue(resume) is not null)
            {
                var given = options.Given(r);
                if (given.Count > 0)
                    throw new UsageException($"{string.Join(", ", given)} cannot be combined with --resume: a resumed run uses its own {ConfigFile}");
                config = TrainConfig.Load(Path.Combine(runDir, ConfigFile));
            }
            else
            {
                config = options.Build(r);
                if (new CheckpointStore(runDir).List().Count > 0)
                    throw new UsageException($"{runDir} already holds checkpoints: pass --resume latest to continue it, or choose another --out");
            }
            var (device, _) = runtime.Apply(r);
            Run(config, runDir, device, r.GetValue(resume));
            return 0;
        });
        return command;
    }

    /// <summary>Trains (or resumes) a run; returns the trainer's final checkpoint folder.</summary>
    public static string Run(TrainConfig config, string runDir, torch.Device device, string? resume = null, TimeSpan? progressInterval = null)
    {
        Directory.CreateDirectory(runDir);
        AtomicFile.WriteAllText(Path.Combine(runDir, ConfigFile), config.ToJson());
        var tokenizer = TrainingSetup.Tokenizer(config.Model);
        var modelConfig = TrainingSetup.ModelConfig(config.Model, tokenizer);
        var problems = new DataProblems(Console.Error);
        using var model = TrainingSetup.CreateModel(modelConfig, config.Optimizer.Seed, device);
        using var feed = TrainingSetup.Feed(config, modelConfig, tokenizer, problems);
        using var task = new ClipTrainable(model, TrainingSetup.Objective(config), feed, config, device);
        using var trainer = new Trainer(task, config.Optimizer, runDir);
        if (resume is not null)
        {
            var checkpoint = trainer.Checkpoints.Resolve(resume);
            trainer.Resume(checkpoint);
            Console.WriteLine($"resuming {runDir} from {checkpoint} (step {trainer.Step})");
        }
        Console.WriteLine($"training {config.Loss} on {config.Data} with {config.Model} ({model.parameters().Sum(p => p.numel()):N0} parameters) on {device}: {config.Optimizer.Steps} steps of {config.BatchSize}");
        trainer.Run(progressInterval);
        var last = trainer.Checkpoints.Resolve("latest");
        Console.WriteLine($"done: metrics {Path.Combine(runDir, "metrics.jsonl")}, checkpoint {last}" +
                          (problems.Total + problems.RepairedTotal > 0 ? $"; data: {problems.Summary()}" : ""));
        return last;
    }
}
