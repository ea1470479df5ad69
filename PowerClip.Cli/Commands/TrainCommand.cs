using System.CommandLine;
using PowerClip.Train.Models;
using PowerClip.Train.Training;
using PowerClip.Train.Training.Distributed;
using TorchSharp;

using PowerClip.Train;

namespace PowerClip.Cli.Commands;

/// <summary>
/// `powerclip train`: one run folder holds config.json (the resolved configuration), metrics.jsonl
/// (one line per step) and checkpoints/ (durable; `--resume latest` continues from the newest intact one).
/// </summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var runtime = new RuntimeOptions();
        var options = new TrainOptions();
        var output = new Option<string>("--out") { Description = "Run folder (config, metrics, checkpoints)",
            Required = true };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in --out: latest, a step " +
            "number or a checkpoint folder" };
        var distributed = new Option<string>("--distributed") {
            Description = "none, or mpi: be one rank of an `mpiexec -n K` job (data-parallel; see README)",
            DefaultValueFactory = _ => "none" };
        distributed.AcceptOnlyFromAmong("none", "mpi");
        var command = new Command("train", "Train a CLIP-family model (CLIP, FLIP, FILIP, SPARC, PowerCLIP and its " +
            "ablations)") { output, resume, distributed };
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
                    throw new UsageException($"{string.Join(", ", given)} cannot be combined with --resume: a " +
                        $"resumed run uses its own {RunFolder.ConfigFile}");
                config = TrainConfig.Load(new RunFolder(runDir).Config);
            }
            else
            {
                config = options.Build(r);
                if (new CheckpointStore(runDir).List().Count > 0)
                    throw new UsageException($"{runDir} already holds checkpoints: pass --resume latest to continue " +
                        "it, or choose another --out");
            }
            CheckModel(config);
            var (device, threads) = runtime.Apply(r);
            // Without --threads a resumed run takes the checkpoint's thread count.
            int? givenThreads = r.GetResult(runtime.Threads) is { Implicit: false } ? threads : null;
            if (r.GetValue(distributed) == "mpi")
                return MpiLauncher.Run([], context =>
                {
                    TrainingRun.Run(config, runDir, context.Device, r.GetValue(resume), distributed: context,
                                    threads: givenThreads);
                    return 0;
                });
            TrainingRun.Run(config, runDir, device, r.GetValue(resume), threads: givenThreads);
            return 0;
        });
        return command;
    }

    /// <summary>A model config, tokenizer file or vocabulary that does not fit is a usage error, found before
    /// training.</summary>
    private static void CheckModel(TrainConfig config)
    {
        try { ModelFactory.Inputs(config); }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException or FormatException)
        {
            throw new UsageException(e.Message);
        }
    }
}
