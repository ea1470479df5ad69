using System.CommandLine;
using PowerClip.Data;
using PowerClip.Train.Training;
using PowerClip.Train.Training.Distributed;
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
        var distributed = new Option<string>("--distributed") { Description = "none, or mpi: be one rank of an `mpiexec -n K` job (data-parallel; see README)", DefaultValueFactory = _ => "none" };
        distributed.AcceptOnlyFromAmong("none", "mpi");
        var command = new Command("train", "Train a CLIP-family model (CLIP, FLIP, FILIP, SPARC, PowerCLIP and its ablations)") { output, resume, distributed };
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
            CheckModel(config);
            var (device, _) = runtime.Apply(r);
            if (r.GetValue(distributed) == "mpi")
                return MpiLauncher.Run([], context => { Run(config, runDir, context.Device, r.GetValue(resume), distributed: context); return 0; });
            Run(config, runDir, device, r.GetValue(resume));
            return 0;
        });
        return command;
    }

    /// <summary>A model config, tokenizer file or vocabulary that does not fit is a usage error, found before training.</summary>
    private static void CheckModel(TrainConfig config)
    {
        try { TrainingSetup.ModelConfig(config.Model, TrainingSetup.Tokenizer(config)); }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException or FormatException)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>
    /// Trains (or resumes) a run; returns the trainer's final checkpoint folder. With <paramref name="distributed"/>
    /// this process is one rank: it reads its part of the data, the loss is the global batch's, rank 0 alone writes.
    /// </summary>
    public static string Run(TrainConfig config, string runDir, torch.Device device, string? resume = null, TimeSpan? progressInterval = null,
                             IDistributedContext? distributed = null)
    {
        var main = distributed?.IsMain ?? true;
        Directory.CreateDirectory(runDir);
        if (main) AtomicFile.WriteAllText(Path.Combine(runDir, ConfigFile), config.ToJson());
        var tokenizer = TrainingSetup.Tokenizer(config);
        var modelConfig = TrainingSetup.ModelConfig(config.Model, tokenizer);
        var problems = new DataProblems(Console.Error);
        using var model = TrainingSetup.CreateModel(modelConfig, config.Optimizer.Seed, device);
        using var feed = TrainingSetup.Feed(config, modelConfig, tokenizer, problems, distributed);
        using var local = new ClipTrainable(model, TrainingSetup.Objective(config), feed, config, device);
        using var trainer = new Trainer(distributed is null ? local : new DistributedClipTrainable(local), config.Optimizer, runDir, distributed);
        if (resume is not null)
        {
            var checkpoint = trainer.Checkpoints.Resolve(resume);
            trainer.Resume(checkpoint);
            if (main) Console.WriteLine($"resuming {runDir} from {checkpoint} (step {trainer.Step})");
        }
        if (main) Console.WriteLine($"training {config.Loss} on {config.Data} with {config.Model} ({model.parameters().Sum(p => p.numel()):N0} parameters) on {device}: {config.Optimizer.Steps} steps of {config.BatchSize}" +
                                    (distributed is null ? "" : $" per rank × {distributed.Size} ranks"));
        trainer.Run(progressInterval);
        // Other ranks do not wait for rank 0's last write, so they name it instead of looking it up.
        var last = main ? trainer.Checkpoints.Resolve("latest") : Path.Combine(trainer.Checkpoints.Root, CheckpointStore.NameOf(trainer.Step));
        if (main) Console.WriteLine($"done: metrics {Path.Combine(runDir, "metrics.jsonl")}, checkpoint {last}" +
                          (problems.Total + problems.RepairedTotal > 0 ? $"; data: {problems.Summary()}" : ""));
        return last;
    }
}
