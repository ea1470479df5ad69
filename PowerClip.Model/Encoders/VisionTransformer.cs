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

    public VisionTransformer(VisionConfig cfg, int embedDim) : base("visual")
    {
        this.cfg = cfg;
        var w = cfg.Width;
        var scale = Math.Pow(w, -0.5);
        conv1 = nn.Conv2d(3, w, kernel_size: cfg.PatchSize, stride: cfg.PatchSize, bias: false);
        class_embedding = new Parameter(torch.randn(w) * scale);
        positional_embedding = new Parameter(torch.randn(cfg.PatchCount + 1, w) * scale);
        ln_pre = nn.LayerNorm(w);
        transformer = new Transformer(w, cfg.Layers, cfg.Heads, cfg.MlpRatio);
        ln_post = nn.LayerNorm(w);
        proj = new Parameter(torch.randn(w, embedDim) * scale);
        RegisterComponents();
    }

    /// <summary>The stack of residual attention blocks.</summary>
    public Transformer Blocks => transformer;

    /// <summary>Encodes images [B, 3, H, W].</summary>
    /// <param name="keepRatio">FLIP: fraction of patches kept (random per image); 1 keeps all.</param>
    /// <returns>Global embedding [B, E] (not normalized) and projected patch tokens [B, N', E].</returns>
    public (Tensor Global, Tensor Patches) Encode(Tensor images, double keepRatio = 1.0, Generator? generator = null)
    {
        InputChecks.Shape(images, "images", -1, 3, cfg.ImageSize, cfg.ImageSize);
        if (!(keepRatio > 0 && keepRatio <= 1)) throw new ArgumentOutOfRangeException(nameof(keepRatio), $"patch keep ratio must be in (0, 1], got {keepRatio}");
        using var scope = torch.NewDisposeScope();
        var x = conv1.forward(images).flatten(2).transpose(1, 2);          // [B, N, W]
        x = x + positional_embedding[1..];
        if (keepRatio < 1) x = DropPatches(x, keepRatio, generator);
        var cls = (class_embedding + positional_embedding[0]).expand(x.shape[0], 1, -1);
        x = ln_post.forward(transformer.forward(ln_pre.forward(torch.cat([cls, x], 1)), null));
        var patches = torch.matmul(x[.., 1..], proj);
        var global = cfg.Pool == Pooling.Average ? patches.mean([1]) : torch.matmul(x[.., 0], proj);
        return (global.MoveToOuterDisposeScope(), patches.MoveToOuterDisposeScope());
    }

    /// <summary>FLIP's random masking: keep round(N·keep) patches per image, chosen uniformly without replacement.</summary>
    private static Tensor DropPatches(Tensor x, double keepRatio, Generator? generator)
    {
        long b = x.shape[0], n = x.shape[1];
        var keep = Math.Max(1L, (long)Math.Round(n * keepRatio));
        var noise = torch.rand(b, n, generator: generator, device: x.device);
        var idx = noise.argsort(1)[.., ..(int)keep];
        return x.gather(1, idx.unsqueeze(-1).expand(-1, -1, x.shape[2]));
    }
}
