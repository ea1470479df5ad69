using PowerClip.Model;
using PowerClip.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Training;

/// <summary>
/// A model loaded from a checkpoint folder for evaluation or grounding: its training config, tokenizer
/// and weights. Accepts a checkpoint folder (checkpoints/step-N), or a run folder (its latest checkpoint).
/// </summary>
public sealed class TrainedModel : IDisposable
{
    public TrainConfig Config { get; }
    public ClipModel Model { get; }
    public CaptionTokenizer Tokenizer { get; }
    public string CheckpointDirectory { get; }
    public Device Device { get; }

    private TrainedModel(TrainConfig config, ClipModel model, CaptionTokenizer tokenizer, string dir, Device device)
    {
        Config = config; Model = model; Tokenizer = tokenizer; CheckpointDirectory = dir; Device = device;
    }

    public static TrainedModel Load(string path, Device device)
    {
        var dir = ResolveCheckpoint(path);
        var config = TrainConfig.Load(RunFolder.ConfigOfCheckpoint(dir));
        var tokenizer = TrainingSetup.Tokenizer(config.Model);
        var model = new ClipModel(TrainingSetup.ModelConfig(config.Model, tokenizer));
        Checkpoint.Load(model, Path.Combine(dir, RunFolder.WeightsFile));
        model.to(device);
        model.eval();
        return new TrainedModel(config, model, tokenizer, dir, device);
    }

    /// <summary>A checkpoint folder as given, or a run folder's latest checkpoint.</summary>
    public static string ResolveCheckpoint(string path)
    {
        if (RunFolder.IsCheckpoint(path)) return path;
        if (RunFolder.IsRun(path)) return new CheckpointStore(path).Resolve("latest");
        throw new FileNotFoundException($"no checkpoint at {path}: expected a checkpoint folder with {RunFolder.WeightsFile} or a run folder with {RunFolder.CheckpointsDirectory}/");
    }

    public void Dispose() => Model.Dispose();
}
