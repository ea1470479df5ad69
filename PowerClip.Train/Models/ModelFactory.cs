using PowerClip.Data;
using PowerClip.Model;
using PowerClip.Train.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Models;

/// <summary>The model a training config names, its tokenizer and its inputs, before any weights are loaded.</summary>
public static class ModelFactory
{
    /// <summary>The run's tokenizer (<see cref="TrainConfig.Tokenizer"/>: gpt2 or clip:PATH) at its model's context
    /// length.</summary>
    public static CaptionTokenizer Tokenizer(TrainConfig config) =>
        TokenizerSpec.Parse(config.Tokenizer).Create(Presets.Load(config.Model).Text.ContextLength);

    /// <summary>
    /// The model config of a preset or JSON file, checked against its tokenizer (<see cref="ModelVocabulary"/>):
    /// tiny, small and demo have GPT-2's 50258 ids, vit-b-16 (and open_clip's ViT configs) CLIP's 49408.
    /// </summary>
    public static ClipConfig ModelConfig(string preset, CaptionTokenizer tokenizer) =>
        ModelVocabulary.Check(Presets.Load(preset), tokenizer);

    /// <summary>How the config's model sees its inputs (its size, its tokenizer).</summary>
    public static ModelInputs Inputs(TrainConfig config)
    {
        var tokenizer = Tokenizer(config);
        return new ModelInputs(ModelConfig(config.Model, tokenizer), tokenizer);
    }

    /// <summary>The model, initialised from <paramref name="seed"/> so that two runs with one seed start
    /// equal.</summary>
    public static ClipModel Create(ClipConfig config, int seed, Device device)
    {
        torch.manual_seed(seed);
        var model = new ClipModel(config);
        model.to(device);
        return model;
    }
}
