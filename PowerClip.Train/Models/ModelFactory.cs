using PowerClip.Data;
using PowerClip.Model;
using PowerClip.Train.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Models;

/// <summary>The model a training config names, its tokenizer and its inputs, before any weights are loaded.</summary>
public static class ModelFactory
{
    /// <summary>The run's tokenizer: GPT-2's byte-level BPE, with the preset's context length.</summary>
    public static CaptionTokenizer Tokenizer(TrainConfig config) => CaptionTokenizer.Gpt2(Presets.Load(config.Model).Text.ContextLength);

    /// <summary>
    /// The model config for a preset and tokenizer: the text tower's vocabulary follows the tokenizer
    /// (GPT-2's 50258 ids by default, where the presets name CLIP's 49408).
    /// </summary>
    public static ClipConfig ModelConfig(string preset, CaptionTokenizer tokenizer)
    {
        var config = Presets.Load(preset);
        return config with { Text = config.Text with { VocabSize = tokenizer.VocabSize, PadId = CaptionTokenizer.PadId } };
    }

    /// <summary>How the config's model sees its inputs (its size, its tokenizer).</summary>
    public static ModelInputs Inputs(TrainConfig config)
    {
        var tokenizer = Tokenizer(config);
        return new ModelInputs(ModelConfig(config.Model, tokenizer), tokenizer);
    }

    /// <summary>The model, initialised from <paramref name="seed"/> so that two runs with one seed start equal.</summary>
    public static ClipModel Create(ClipConfig config, int seed, Device device)
    {
        torch.manual_seed(seed);
        var model = new ClipModel(config);
        model.to(device);
        return model;
    }
}
