using PowerClip.Data;
using PowerClip.Model;
using PowerClip.Train.Evaluation;
using PowerClip.Train.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Models;

/// <summary>
/// The front door to a trained model (open_clip's create_model_and_transforms + get_tokenizer in one): a checkpoint
/// loaded with its training config, its inputs (image transform, the tokenizer the run recorded, phrase trees) and
/// its scorers. <see cref="Load"/> takes a checkpoint folder (checkpoints/step-N) or a run folder (its latest
/// checkpoint); <see cref="LoadOpenClip"/> takes files as open_clip and OpenAI publish them.
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

    /// <param name="tokenizerSpec">a tokenizer spec that replaces the recorded one (e.g. the CLIP file moved); null:
    /// the run's</param>
    public static TrainedModel Load(string path, Device device, string? tokenizerSpec = null)
    {
        var dir = ResolveCheckpoint(path);
        var config = TrainConfig.Load(RunFolder.ConfigOfCheckpoint(dir));
        if (tokenizerSpec is not null) config = config with {
            Tokenizer = TokenizerSpec.Parse(tokenizerSpec).ToString() };
        return FromWeights(config, Path.Combine(dir, RunFolder.WeightsFile), dir, device);
    }

    /// <summary>
    /// A model from files as open_clip and OpenAI publish them, with no run folder: the weights (safetensors with
    /// open_clip's state-dict names), the model config JSON (open_clip's model_configs/ViT-B-16.json, or
    /// ViT-B-16-quickgelu.json for OpenAI's weights) and the tokenizer spec (clip:PATH to
    /// bpe_simple_vocab_16e6.txt.gz).
    /// The model counts as CLIP-trained (Loss = clip). The JSON's meaning (<see cref="ModelConfigJson"/>), the
    /// vocabulary against the tokenizer (<see cref="ModelVocabulary"/>) and every tensor's name and shape are checked.
    /// </summary>
    public static TrainedModel LoadOpenClip(string weights, string modelConfig, string tokenizer, Device device)
    {
        if (!File.Exists(weights)) throw new FileNotFoundException($"checkpoint file not found: {weights}", weights);
        if (!modelConfig.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"model config '{modelConfig}' is not a .json file (open_clip's " +
                "model_configs/NAME.json)");
        var config = new TrainConfig
        {
            Model = Path.GetFullPath(modelConfig), Tokenizer = TokenizerSpec.Parse(tokenizer).ToString(), Loss = "clip",
        }.Validate();
        return FromWeights(config, weights, Path.GetFullPath(weights), device);
    }

    private static TrainedModel FromWeights(TrainConfig config, string weights, string source, Device device)
    {
        var inputs = ModelFactory.Inputs(config);
        var model = new ClipModel(inputs.Model);
        try
        {
            Checkpoint.Load(model, weights);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.to(device);
        model.eval();
        return new TrainedModel(config, model, inputs, source, device);
    }

    /// <summary>A checkpoint folder as given, or a run folder's latest checkpoint.</summary>
    public static string ResolveCheckpoint(string path)
    {
        if (RunFolder.IsCheckpoint(path)) return path;
        if (RunFolder.IsRun(path)) return new CheckpointStore(path).Resolve("latest");
        throw new FileNotFoundException($"no checkpoint at {path}: expected a checkpoint folder with " +
            $"{RunFolder.WeightsFile} or a run folder with {RunFolder.CheckpointsDirectory}/");
    }

    /// <summary>Global embeddings of images and captions, batched (what the standard CLIP evaluation scores
    /// with).</summary>
    public ModelEncoder Encoder(int batchSize = 64) => new(this, batchSize);

    /// <summary>A score by its id (cosine, filip, sparc, powerclip: <see cref="EvaluationScores"/>), pairwise and as a
    /// matrix.</summary>
    public EvaluationScore Score(string id, int batchSize = 64) => EvaluationScores.For(id, this, batchSize);

    /// <summary>The score this model's objective trained (FILIP's late interaction, SPARC's, S̄; else the
    /// cosine).</summary>
    public string OwnScore => EvaluationScores.OwnScore(Config.Loss);

    public void Dispose() => Model.Dispose();
}
