using PowerClip.Data;
using PowerClip.Model;
using PowerClip.Train.Evaluation;
using PowerClip.Train.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Models;

/// <summary>
/// The front door to a trained model (open_clip's create_model_and_transforms + get_tokenizer in one): a checkpoint
/// loaded with its training config, its inputs (image transform, tokenizer, phrase trees) and its scorers. Accepts a
/// checkpoint folder (checkpoints/step-N), or a run folder (its latest checkpoint).
/// </summary>
public sealed class TrainedModel : IDisposable
{
    public TrainConfig Config { get; }
    public ClipModel Model { get; }
    public ModelInputs Inputs { get; }
    public CaptionTokenizer Tokenizer => Inputs.Tokenizer;
    public string CheckpointDirectory { get; }
    public Device Device { get; }

    private TrainedModel(TrainConfig config, ClipModel model, ModelInputs inputs, string dir, Device device)
    {
        Config = config; Model = model; Inputs = inputs; CheckpointDirectory = dir; Device = device;
    }

    public static TrainedModel Load(string path, Device device)
    {
        var dir = ResolveCheckpoint(path);
        var config = TrainConfig.Load(RunFolder.ConfigOfCheckpoint(dir));
        var inputs = ModelFactory.Inputs(config);
        var model = new ClipModel(inputs.Model);
        Checkpoint.Load(model, Path.Combine(dir, RunFolder.WeightsFile));
        model.to(device);
        model.eval();
        return new TrainedModel(config, model, inputs, dir, device);
    }

    /// <summary>A checkpoint folder as given, or a run folder's latest checkpoint.</summary>
    public static string ResolveCheckpoint(string path)
    {
        if (RunFolder.IsCheckpoint(path)) return path;
        if (RunFolder.IsRun(path)) return new CheckpointStore(path).Resolve("latest");
        throw new FileNotFoundException($"no checkpoint at {path}: expected a checkpoint folder with {RunFolder.WeightsFile} or a run folder with {RunFolder.CheckpointsDirectory}/");
    }

    /// <summary>Global embeddings of images and captions, batched (what the standard CLIP evaluation scores with).</summary>
    public ModelEncoder Encoder(int batchSize = 64) => new(this, batchSize);

    /// <summary>A score by its id (cosine, filip, sparc, powerclip: <see cref="EvaluationScores"/>), pairwise and as a matrix.</summary>
    public EvaluationScore Score(string id, int batchSize = 64) => EvaluationScores.For(id, this, batchSize);

    /// <summary>The score this model's objective trained (FILIP's late interaction, SPARC's, S̄; else the cosine).</summary>
    public string OwnScore => EvaluationScores.OwnScore(Config.Loss);

    public void Dispose() => Model.Dispose();
}
