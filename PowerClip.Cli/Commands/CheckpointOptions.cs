using System.CommandLine;
using PowerClip.Train.Models;
using TorchSharp;

namespace PowerClip.Cli.Commands;

/// <summary>
/// The checkpoint options of the commands that read a model (eval, ground): a run or checkpoint folder (its
/// config.json names model and tokenizer), or open_clip's files: --checkpoint FILE.safetensors --model-config
/// MODEL.json --tokenizer clip:PATH. Anything that does not fit (missing file, vocabulary or shape mismatch,
/// malformed JSON) is a usage error (exit 2) with one line that names it.
/// </summary>
public sealed class CheckpointOptions
{
    public Option<string> Checkpoint { get; } = new("--checkpoint")
    {
        Description = "Checkpoint folder (checkpoints/step-N), run folder (its latest checkpoint) "
                      + "or an open_clip .safetensors file",
        Required = true,
    };

    public Option<string?> ModelConfig { get; } = new("--model-config")
    {
        Description = "With a .safetensors --checkpoint: its model config JSON (open_clip's model_configs/NAME.json)",
    };

    public Option<string?> Tokenizer { get; } = new("--tokenizer")
    {
        Description = "gpt2 or clip:PATH (bpe_simple_vocab_16e6.txt.gz): needed with --model-config, "
                      + "else replaces the run's",
    };

    public void AddTo(Command command)
    {
        command.Add(Checkpoint);
        command.Add(ModelConfig);
        command.Add(Tokenizer);
    }

    /// <summary>The checkpoint as given, resolved to a folder or file (checked before the device is set up).</summary>
    public string Resolve(ParseResult r)
    {
        var path = r.GetValue(Checkpoint)!;
        if (IsFile(path))
        {
            if (r.GetValue(ModelConfig) is null || r.GetValue(Tokenizer) is null)
                throw new UsageException(
                    $"--checkpoint {path} is a weights file: give its --model-config MODEL.json "
                    + "and --tokenizer clip:PATH");
            return Path.GetFullPath(path);
        }
        if (r.GetValue(ModelConfig) is not null)
            throw new UsageException(
                "--model-config applies to a .safetensors --checkpoint; a run folder names its model in config.json");
        try { return TrainedModel.ResolveCheckpoint(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new UsageException($"--checkpoint: {e.Message}");
        }
    }

    /// <summary>Loads the resolved checkpoint onto the device.</summary>
    public TrainedModel Load(ParseResult r, string resolved, torch.Device device)
    {
        try
        {
            return IsFile(resolved)
                ? TrainedModel.LoadOpenClip(resolved, r.GetValue(ModelConfig)!, r.GetValue(Tokenizer)!, device)
                : TrainedModel.Load(resolved, device, r.GetValue(Tokenizer));
        }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException or DirectoryNotFoundException
                                    or FormatException or InvalidDataException)
        {
            throw new UsageException(e.Message);
        }
    }

    private static bool IsFile(string path) =>
        File.Exists(path) && path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);
}
