namespace PowerClip.Model;

/// <summary>How an encoder turns its token sequence into one global embedding (open_clip's pool_type).</summary>
public enum Pooling
{
    /// <summary>Mean over patches / the caption's tokens (start to end token): the paper's choice (open_clip's vision
    /// 'avg'; for text ours, open_clip's text tower has no mean pooling).</summary>
    Average,
    /// <summary>The class token (vision 'tok') or the end-of-text token (text 'argmax' / 'eos'), as open_clip
    /// does.</summary>
    Token,
    /// <summary>Text only: position 0 (open_clip 'first').</summary>
    First,
    /// <summary>Text only: the last position of the context, padding or not (open_clip 'last').</summary>
    Last,
}

/// <summary>Vision Transformer shape; JSON keys follow open_clip's vision_cfg.</summary>
public sealed record VisionConfig(int ImageSize, int PatchSize, int Width, int Layers, int Heads, double MlpRatio,
    Pooling Pool)
{
    public int GridSize => ImageSize / PatchSize;
    public int PatchCount => GridSize * GridSize;
}

/// <summary>
/// Text Transformer shape; JSON keys follow open_clip's text_cfg. <paramref name="EndId"/> is the tokenizer's end
/// token: a caption's length runs from position 0 to its first end token, which gives the padding mask and the
/// end-token pooling. <paramref name="ProjectionBias"/>: text_projection is a Linear with bias (open_clip proj_bias).
/// </summary>
public sealed record TextConfig(int ContextLength, int VocabSize, int Width, int Layers, int Heads, double MlpRatio,
    Pooling Pool,
                                int EndId, bool ProjectionBias = false);

/// <summary>
/// A CLIP model: both towers, the joint embedding width and the logit scale (init 1/0.07, clamped at 100).
/// <paramref name="QuickGelu"/>: the MLPs use QuickGELU x·σ(1.702x) (OpenAI's weights) instead of GELU.
/// </summary>
public sealed record ClipConfig(string Name, int EmbedDim, VisionConfig Vision, TextConfig Text, double InitLogitScale,
    double MaxLogitScale,
                                bool QuickGelu = false)
{
    /// <summary>The same model with both towers pooled the given way (Average or Token).</summary>
    public ClipConfig With(Pooling pooling) => this with { Vision = Vision with { Pool = pooling },
        Text = Text with { Pool = pooling } };

    /// <summary>Throws an ArgumentException naming the first inconsistent field.</summary>
    public ClipConfig Validate()
    {
        void Need(bool ok, string what) { if (!ok) throw new ArgumentException($"model config '{Name}': {what}"); }
        Need(EmbedDim > 0, $"embed_dim must be > 0, got {EmbedDim}");
        Need(Vision.PatchSize > 0 && Vision.ImageSize % Vision.PatchSize == 0,
            $"vision image_size {Vision.ImageSize} must be a positive multiple of patch_size {Vision.PatchSize}");
        Need(Vision.Layers > 0 && Text.Layers > 0, "layers must be > 0");
        Need(Vision.Heads > 0 && Vision.Width % Vision.Heads == 0,
            $"vision width {Vision.Width} must be divisible by heads {Vision.Heads}");
        Need(Text.Heads > 0 && Text.Width % Text.Heads == 0,
            $"text width {Text.Width} must be divisible by heads {Text.Heads}");
        Need(Vision.MlpRatio > 0 && Text.MlpRatio > 0, "mlp_ratio must be > 0");
        Need(Vision.Pool is Pooling.Average or Pooling.Token, $"vision pool_type {Vision.Pool} is not avg or tok");
        Need(Text.ContextLength > 1 && Text.VocabSize > 1, "text context_length and vocab_size must be > 1");
        Need(Text.EndId >= 0 && Text.EndId < Text.VocabSize,
            $"text eos_id {Text.EndId} is outside the vocabulary [0, {Text.VocabSize})");
        Need(InitLogitScale > 0 && InitLogitScale <= MaxLogitScale,
            $"init_logit_scale {InitLogitScale} must be in (0, max_logit_scale {MaxLogitScale}]");
        return this;
    }
}
