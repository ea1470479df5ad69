using PowerClip.Data;
using PowerClip.Model;

namespace PowerClip.Train.Models;

/// <summary>
/// The tokenizer is part of the model: the text tower's vocabulary size and end token are the tokenizer's.
/// A model config and a tokenizer that disagree are refused before anything is built or trained.
/// </summary>
public static class ModelVocabulary
{
    private const int ClipVocabularySize = 49408;
    private const int Gpt2VocabularySize = 50258;

    /// <summary>The model config, checked against the tokenizer; an ArgumentException names both and the fix.</summary>
    public static ClipConfig Check(ClipConfig model, CaptionTokenizer tokenizer)
    {
        var text = model.Text;
        if (text.VocabSize != tokenizer.VocabSize)
            throw new ArgumentException(
                $"model '{model.Name}' has text_cfg.vocab_size {text.VocabSize} but tokenizer {tokenizer.Name} " +
                $"has {tokenizer.VocabSize} ids{Hint(text.VocabSize)}");
        if (text.EndId != tokenizer.EndId)
            throw new ArgumentException(
                $"model '{model.Name}' ends captions with token {text.EndId} (text_cfg.eos_id) but tokenizer " +
                $"{tokenizer.Name} ends them with {tokenizer.EndId}");
        if (text.ContextLength != tokenizer.ContextLength)
            throw new ArgumentException($"model '{model.Name}' reads {text.ContextLength} tokens but tokenizer " +
                                        $"{tokenizer.Name} writes {tokenizer.ContextLength}");
        return model;
    }

    private static string Hint(int modelVocabulary) => modelVocabulary switch
    {
        ClipVocabularySize => ": the model uses CLIP's vocabulary, pass --tokenizer clip:PATH to " +
                              $"{ClipVocabulary.FileName} ({ClipVocabulary.Provenance})",
        Gpt2VocabularySize => ": the model uses GPT-2's vocabulary, pass --tokenizer gpt2",
        _ => "",
    };
}
