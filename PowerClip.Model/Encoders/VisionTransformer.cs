using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// ViT with open_clip's names (visual.conv1, class_embedding, positional_embedding, ln_pre,
/// transformer.resblocks.N, ln_post, proj). Patch tokens are taken after ln_post and the projection,
/// which is where the paper pools regions.
/// </summary>
public sealed class VisionTransformer : nn.Module
{
    private readonly VisionConfig cfg;
    private Conv2d conv1;
    private Parameter class_embedding;
    private Parameter positional_embedding;
    private LayerNorm ln_pre;
    private Transformer transformer;
    private LayerNorm ln_post;
    private Parameter proj;

    public VisionTransformer(VisionConfig cfg, int embedDim, bool quickGelu = false) : base("visual")
    {
        this.cfg = cfg;
        var w = cfg.Width;
        var scale = Math.Pow(w, -0.5);
        conv1 = nn.Conv2d(3, w, kernel_size: cfg.PatchSize, stride: cfg.PatchSize, bias: false);
        class_embedding = new Parameter(torch.randn(w) * scale);
        positional_embedding = new Parameter(torch.randn(cfg.PatchCount + 1, w) * scale);
        ln_pre = nn.LayerNorm(w);
        transformer = new Transformer(w, cfg.Layers, cfg.Heads, cfg.MlpRatio, quickGelu);
        ln_post = nn.LayerNorm(w);
        proj = new Parameter(torch.randn(w, embedDim) * scale);
        RegisterComponents();
    }

    public VisionConfig Config => cfg;

    /// <summary>The stack of residual attention blocks.</summary>
    public Transformer Blocks => transformer;

    /// <summary>Encodes images [B, 3, H, W].</summary>
    /// <param name="keepRatio">FLIP: fraction of patches kept (random per image); 1 keeps all.</param>
    /// <returns>Global embedding [B, E] (not normalized) and projected patch tokens [B, N', E].</returns>
    public (Tensor Global, Tensor Patches) Encode(Tensor images, double keepRatio = 1.0, Generator? generator = null)
    {
        if (!(keepRatio > 0 && keepRatio <= 1)) throw new ArgumentOutOfRangeException(nameof(keepRatio),
            $"patch keep ratio must be in (0, 1], got {keepRatio}");
        var e = Encode(images, keepRatio < 1 ? new RandomPatchSelector(keepRatio) : null,
            new ForwardContext(generator));
        return (e.Global, e.Patches);
    }

    /// <summary>
    /// Encodes images [B, 3, H, W], seeing only the patches <paramref name="selector"/> keeps (all when null).
    /// Fillers the selector marks invisible are hidden from every other token's attention and from average pooling.
    /// </summary>
    public VisionEncoding Encode(Tensor images, IPatchSelector? selector, ForwardContext context,
        bool withAttention = false)
    {
        InputChecks.Shape(images, "images", -1, 3, cfg.ImageSize, cfg.ImageSize);
        using var scope = torch.NewDisposeScope();
        var x = conv1.forward(images).flatten(2).transpose(1, 2) + positional_embedding[1..];    // [B, N, W]
        Tensor? visible = null;
        if (selector is not null)
        {
            PatchSelection chosen;
            using (torch.no_grad())
                chosen = selector.Select(new PatchSelectionInputs(images, x.detach(), cfg.GridSize, cfg.PatchSize,
                    context.Generator, context.Progress));
            x = x.gather(1, chosen.Keep.unsqueeze(-1).expand(-1, -1, x.shape[2]));
            visible = chosen.Visible;
        }
        var cls = (class_embedding + positional_embedding[0]).expand(x.shape[0], 1, -1);
        // Hidden fillers: −∞ on their keys (the class token is always visible), so no token attends to them.
        Tensor? keyMask = null;
        if (visible is not null)
        {
            var hidden = torch.cat([torch.zeros(visible.shape[0], 1, dtype: ScalarType.Bool, device: x.device),
                visible.logical_not()], 1);
            keyMask = torch.zeros(hidden.shape, dtype: x.dtype, device: x.device)
                .masked_fill(hidden, double.NegativeInfinity).view(hidden.shape[0], 1, 1, hidden.shape[1]);
        }
        x = ln_pre.forward(torch.cat([cls, x], 1));
        Tensor? attention = null;
        if (withAttention) (x, attention) = transformer.ForwardWithMeanWeights(x, keyMask);
        else x = transformer.forward(x, keyMask);
        x = ln_post.forward(x);
        var patches = torch.matmul(x[.., 1..], proj);
        var global = cfg.Pool == Pooling.Token ? torch.matmul(x[.., 0], proj)
            : visible is null ? patches.mean([1])
            : (patches * visible.unsqueeze(-1).to(patches.dtype)).sum(1) / visible.sum(1,
                keepdim: true).to(patches.dtype);
        return new VisionEncoding(global.MoveToOuterDisposeScope(), patches.MoveToOuterDisposeScope(),
            visible?.MoveToOuterDisposeScope(), attention?.MoveToOuterDisposeScope());
    }
}

/// <summary>One vision forward pass.</summary>
/// <param name="Global">global embedding [B, E] (not normalized)</param>
/// <param name="Patches">projected tokens of the kept patches [B, K, E]</param>
/// <param name="Visible">[B, K] bool, false for hidden fillers; null when every kept patch is visible</param>
/// <param name="Attention">attention weights averaged over layers and heads [B, 1 + K, 1 + K] (index 0: the class
/// token), when asked for</param>
public sealed record VisionEncoding(Tensor Global, Tensor Patches, Tensor? Visible, Tensor? Attention);
