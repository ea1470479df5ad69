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
/// <param name="TokenMask">the caption's positions, start to first end token [B, S], bool (the rest is padding)</param>
public sealed record ClipOutputs(Tensor ImageEmbeds, Tensor TextEmbeds, Tensor LogitScale, Tensor PatchTokens,
    Tensor TokenFeatures, Tensor TokenMask)
{
    private static readonly IReadOnlyDictionary<string, Tensor> None = new Dictionary<string, Tensor>();

    /// <summary>[B, N'] bool: which rows of PatchTokens are real patches (false: hidden fillers of a masking
    /// objective); null when all are.</summary>
    public Tensor? VisiblePatches { get; init; }

    /// <summary>Per-sample tensors an objective's own forward adds (A-CLIP's views and heads), batch first so they
    /// gather like the embeddings.</summary>
    public IReadOnlyDictionary<string, Tensor> Extra { get; init; } = None;
}

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
        visual = new VisionTransformer(config.Vision, config.EmbedDim, config.QuickGelu);
        text = new TextTransformer(config.Text, config.EmbedDim, config.QuickGelu);
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

    /// <summary>exp(logit_scale) clamped at the configured maximum (100): the clamp stops its gradient, as open_clip's
    /// in-place clamp does.</summary>
    public Tensor LogitScale() => logit_scale.clamp_max(Math.Log(Config.MaxLogitScale)).exp();

    /// <summary>Clamps the stored log scale into [0, log max] after an optimizer step, as open_clip's training loop
    /// does.</summary>
    public void ClampLogitScale()
    {
        using var noGrad = torch.no_grad();
        logit_scale.clamp_(0, Math.Log(Config.MaxLogitScale));
    }

    /// <summary>Both towers on a batch of image–caption pairs.</summary>
    /// <param name="patchKeepRatio">FLIP's patch keep ratio (1 = all patches).</param>
    public ClipOutputs Forward(Tensor images, Tensor tokens, double patchKeepRatio = 1.0, Generator? generator = null)
    {
        if (!(patchKeepRatio > 0 && patchKeepRatio <= 1)) throw new ArgumentOutOfRangeException(nameof(patchKeepRatio),
            $"patch keep ratio must be in (0, 1], got {patchKeepRatio}");
        return Forward(images, tokens, patchKeepRatio < 1 ? new RandomPatchSelector(patchKeepRatio) : null,
            new ForwardContext(generator));
    }

    /// <summary>Both towers; the vision tower sees only the patches <paramref name="selector"/> keeps (a masking
    /// objective's choice).</summary>
    public ClipOutputs Forward(Tensor images, Tensor tokens, IPatchSelector? selector, ForwardContext context)
    {
        if (images.shape[0] != tokens.shape[0])
            throw new ArgumentException($"batch sizes differ: {images.shape[0]} images but {tokens.shape[0]} " +
                "token rows");
        using var scope = torch.NewDisposeScope();
        var vision = visual.Encode(images, selector, context);
        var (txt, feats, valid) = text.Encode(tokens);
        var outputs = new ClipOutputs(
            nn.functional.normalize(vision.Global, dim: -1).MoveToOuterDisposeScope(),
            nn.functional.normalize(txt, dim: -1).MoveToOuterDisposeScope(),
            LogitScale().MoveToOuterDisposeScope(),
            vision.Patches.MoveToOuterDisposeScope(), feats.MoveToOuterDisposeScope(), valid.MoveToOuterDisposeScope())
        {
            VisiblePatches = vision.Visible?.MoveToOuterDisposeScope(),
        };
        return outputs;
    }
}
