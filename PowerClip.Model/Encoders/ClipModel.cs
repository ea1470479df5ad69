using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>What one forward pass gives the objectives.</summary>
/// <param name="ImageEmbeds">normalized global image embeddings [B, E]</param>
/// <param name="TextEmbeds">normalized global text embeddings [B, E]</param>
/// <param name="LogitScale">the multiplier exp(logit_scale), clamped at max_logit_scale (scalar)</param>
/// <param name="PatchTokens">projected patch tokens v_n [B, N, E] (not normalized)</param>
/// <param name="TokenFeatures">projected token features t_k [B, S, E] (not normalized)</param>
/// <param name="TokenMask">valid (non-padding) tokens [B, S], bool</param>
public sealed record ClipOutputs(Tensor ImageEmbeds, Tensor TextEmbeds, Tensor LogitScale, Tensor PatchTokens, Tensor TokenFeatures, Tensor TokenMask);

/// <summary>
/// CLIP: a ViT (<c>visual.*</c>), a text transformer and a learnable logit scale. In memory the text
/// tower sits under <c>text.</c>; <see cref="Checkpoint"/> writes it at the top level, as open_clip does.
/// </summary>
public sealed class ClipModel : nn.Module
{
    private VisionTransformer visual;
    private TextTransformer text;
    private Parameter logit_scale;

    public ClipConfig Config { get; }

    public ClipModel(ClipConfig config) : base("clip")
    {
        Config = config.Validate();
        visual = new VisionTransformer(config.Vision, config.EmbedDim);
        text = new TextTransformer(config.Text, config.EmbedDim);
        // open_clip stores log(scale); init 1/0.07.
        logit_scale = new Parameter(torch.tensor((float)Math.Log(config.InitLogitScale)));
        RegisterComponents();
    }

    public VisionTransformer Visual => visual;
    public TextTransformer Text => text;

    /// <summary>Activation checkpointing of every block of both towers (<see cref="BlockCheckpoint"/>).</summary>
    public bool GradCheckpointing
    {
        get => visual.Blocks.GradCheckpointing;
        set => visual.Blocks.GradCheckpointing = text.Blocks.GradCheckpointing = value;
    }

    /// <summary>exp(logit_scale) clamped at the configured maximum (100): the clamp stops its gradient, as open_clip's in-place clamp does.</summary>
    public Tensor LogitScale() => logit_scale.clamp_max(Math.Log(Config.MaxLogitScale)).exp();

    /// <summary>Clamps the stored log scale into [0, log max] after an optimizer step, as open_clip's training loop does.</summary>
    public void ClampLogitScale()
    {
        using var noGrad = torch.no_grad();
        logit_scale.clamp_(0, Math.Log(Config.MaxLogitScale));
    }

    /// <summary>Both towers on a batch of image–caption pairs.</summary>
    /// <param name="patchKeepRatio">FLIP's patch keep ratio (1 = all patches).</param>
    public ClipOutputs Forward(Tensor images, Tensor tokens, double patchKeepRatio = 1.0, Generator? generator = null)
    {
        if (images.shape[0] != tokens.shape[0])
            throw new ArgumentException($"batch sizes differ: {images.shape[0]} images but {tokens.shape[0]} token rows");
        using var scope = torch.NewDisposeScope();
        var (img, patches) = visual.Encode(images, patchKeepRatio, generator);
        var (txt, feats, valid) = text.Encode(tokens);
        var outputs = new ClipOutputs(
            nn.functional.normalize(img, dim: -1).MoveToOuterDisposeScope(),
            nn.functional.normalize(txt, dim: -1).MoveToOuterDisposeScope(),
            LogitScale().MoveToOuterDisposeScope(),
            patches.MoveToOuterDisposeScope(), feats.MoveToOuterDisposeScope(), valid.MoveToOuterDisposeScope());
        return outputs;
    }
}
