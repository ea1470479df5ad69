using PowerClip.Model;
using PowerClip.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Training;

/// <summary>
/// A model loaded from a checkpoint folder for evaluation or grounding: its training config, tokenizer
/// (the one the run recorded) and weights. Accepts a checkpoint folder (checkpoints/step-N), or a run folder
/// (its latest checkpoint). Files without a run folder (open_clip's): <see cref="OpenClipCheckpoint"/>.
/// </summary>
public sealed class TrainedModel : IDisposable
{
    public const string ConfigFile = "config.json";

    public TrainConfig Config { get; }
    public ClipModel Model { get; }
    public CaptionTokenizer Tokenizer { get; }
    public string CheckpointDirectory { get; }
    public Device Device { get; }

    internal TrainedModel(TrainConfig config, ClipModel model, CaptionTokenizer tokenizer, string dir, Device device)
    {
        Config = config; Model = model; Tokenizer = tokenizer; CheckpointDirectory = dir; Device = device;
    }

    /// <param name="tokenizerSpec">a tokenizer spec that replaces the recorded one (e.g. the CLIP file moved); null: the run's</param>
    public static TrainedModel Load(string path, Device device, string? tokenizerSpec = null)
    {
        var dir = ResolveCheckpoint(path);
        var configPath = Path.Combine(dir, ConfigFile);
        var config = TrainConfig.Load(File.Exists(configPath) ? configPath : Path.Combine(dir, "..", "..", ConfigFile));
        if (tokenizerSpec is not null) config = config with { Tokenizer = TokenizerSpec.Parse(tokenizerSpec).ToString() };
        var tokenizer = TrainingSetup.Tokenizer(config);
        var model = new ClipModel(TrainingSetup.ModelConfig(config.Model, tokenizer));
        Checkpoint.Load(model, Path.Combine(dir, Trainer.WeightsFile));
        model.to(device);
        model.eval();
        return new TrainedModel(config, model, tokenizer, dir, device);
    }

    /// <summary>A checkpoint folder as given, or a run folder's latest checkpoint.</summary>
    public static string ResolveCheckpoint(string path)
    {
        if (File.Exists(Path.Combine(path, Trainer.WeightsFile))) return path;
        if (Directory.Exists(Path.Combine(path, "checkpoints"))) return new CheckpointStore(path).Resolve("latest");
        throw new FileNotFoundException($"no checkpoint at {path}: expected a checkpoint folder with {Trainer.WeightsFile} or a run folder with checkpoints/");
    }

    public void Dispose() => Model.Dispose();
}
