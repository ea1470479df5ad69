namespace PowerClip.Model;

/// <summary>How an encoder turns its token sequence into one global embedding.</summary>
public enum Pooling
{
    /// <summary>Mean over patches / valid (non-padding) tokens: the paper's choice.</summary>
    Average,
    /// <summary>The class token (vision) or the end-of-text token, found as the largest token id (text), as open_clip does.</summary>
    Token,
}

/// <summary>Vision Transformer shape; JSON keys follow open_clip's vision_cfg.</summary>
public sealed record VisionConfig(int ImageSize, int PatchSize, int Width, int Layers, int Heads, double MlpRatio, Pooling Pool)
{
    public int GridSize => ImageSize / PatchSize;
    public int PatchCount => GridSize * GridSize;
}

/// <summary>Text Transformer shape; JSON keys follow open_clip's text_cfg.</summary>
public sealed record TextConfig(int ContextLength, int VocabSize, int Width, int Layers, int Heads, double MlpRatio, Pooling Pool, int PadId);

/// <summary>A CLIP model: both towers, the joint embedding width and the logit scale (init 1/0.07, clamped at 100).</summary>
public sealed record ClipConfig(string Name, int EmbedDim, VisionConfig Vision, TextConfig Text, double InitLogitScale, double MaxLogitScale)
{
    /// <summary>The same model with both towers pooled the given way.</summary>
    public ClipConfig With(Pooling pooling) => this with { Vision = Vision with { Pool = pooling }, Text = Text with { Pool = pooling } };

    /// <summary>Throws an ArgumentException naming the first inconsistent field.</summary>
    public ClipConfig Validate()
    {
        void Need(bool ok, string what) { if (!ok) throw new ArgumentException($"model config '{Name}': {what}"); }
        Need(EmbedDim > 0, $"embed_dim must be > 0, got {EmbedDim}");
        Need(Vision.PatchSize > 0 && Vision.ImageSize % Vision.PatchSize == 0,
            $"vision image_size {Vision.ImageSize} must be a positive multiple of patch_size {Vision.PatchSize}");
        Need(Vision.Layers > 0 && Text.Layers > 0, "layers must be > 0");
        Need(Vision.Heads > 0 && Vision.Width % Vision.Heads == 0, $"vision width {Vision.Width} must be divisible by heads {Vision.Heads}");
        Need(Text.Heads > 0 && Text.Width % Text.Heads == 0, $"text width {Text.Width} must be divisible by heads {Text.Heads}");
        Need(Text.ContextLength > 1 && Text.VocabSize > 1, "text context_length and vocab_size must be > 1");
        Need(Text.PadId >= 0 && Text.PadId < Text.VocabSize, $"text pad_id {Text.PadId} is outside the vocabulary");
        Need(InitLogitScale > 0 && InitLogitScale <= MaxLogitScale, $"init_logit_scale {InitLogitScale} must be in (0, max_logit_scale {MaxLogitScale}]");
        return this;
    }
}
