using PowerClip.Data;
using PowerClip.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Training;

/// <summary>
/// A model from files as open_clip and OpenAI publish them, with no run folder: the weights (safetensors with
/// open_clip's state-dict names, e.g. open_clip_model.safetensors), the model config JSON (e.g. open_clip's
/// model_configs/ViT-B-16.json or ViT-B-16-quickgelu.json for OpenAI's weights) and the tokenizer spec
/// (clip:PATH to bpe_simple_vocab_16e6.txt.gz). The model is treated as CLIP-trained (Loss = clip).
/// </summary>
public static class OpenClipCheckpoint
{
    /// <summary>Loads and checks: the JSON's meaning (<see cref="ModelConfigJson"/>), vocabulary against the tokenizer
    /// (<see cref="ModelVocabulary"/>), every tensor's name and shape (<see cref="Checkpoint.Load"/>).</summary>
    public static TrainedModel Load(string weights, string modelConfig, string tokenizer, Device device)
    {
        if (!File.Exists(weights)) throw new FileNotFoundException($"checkpoint file not found: {weights}", weights);
        if (!modelConfig.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException(
                $"model config '{modelConfig}' is not a .json file (open_clip's model_configs/NAME.json)");
        var config = new TrainConfig
        {
            Model = Path.GetFullPath(modelConfig), Tokenizer = TokenizerSpec.Parse(tokenizer).ToString(), Loss = "clip",
        }.Validate();
        var captionTokenizer = TrainingSetup.Tokenizer(config);
        var model = new ClipModel(TrainingSetup.ModelConfig(config.Model, captionTokenizer));
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
        return new TrainedModel(config, model, captionTokenizer, Path.GetFullPath(weights), device);
    }
}
