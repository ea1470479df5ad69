using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// Causal text transformer with open_clip's names (token_embedding, positional_embedding,
/// transformer.resblocks.N, ln_final, text_projection). ClipModel saves these at the top level of the
/// state dict, as open_clip's CLIP does.
/// </summary>
public sealed class TextTransformer : nn.Module
{
    private readonly TextConfig cfg;
    private Embedding token_embedding;
    private Parameter positional_embedding;
    private Transformer transformer;
    private LayerNorm ln_final;
    private Parameter text_projection;

    public TextTransformer(TextConfig cfg, int embedDim) : base("text")
    {
        this.cfg = cfg;
        token_embedding = nn.Embedding(cfg.VocabSize, cfg.Width);
        nn.init.normal_(token_embedding.weight!, std: 0.02);
        positional_embedding = new Parameter(torch.randn(cfg.ContextLength, cfg.Width) * 0.01);
        transformer = new Transformer(cfg.Width, cfg.Layers, cfg.Heads, cfg.MlpRatio);
        ln_final = nn.LayerNorm(cfg.Width);
        text_projection = new Parameter(torch.randn(cfg.Width, embedDim) * Math.Pow(cfg.Width, -0.5));
        RegisterComponents();
    }

    /// <summary>The stack of residual attention blocks.</summary>
    public Transformer Blocks => transformer;

    /// <summary>Encodes token ids [B, S] (S ≤ context length, padding = pad_id).</summary>
    /// <returns>Global embedding [B, E] (not normalized), projected token features [B, S, E], valid-token mask [B, S].</returns>
    public (Tensor Global, Tensor Tokens, Tensor Valid) Encode(Tensor tokens)
    {
        InputChecks.Tokens(tokens, cfg);
        using var scope = torch.NewDisposeScope();
        var s = tokens.shape[1];
        var x = token_embedding.forward(tokens) + positional_embedding[..(int)s];
        var causal = torch.full(s, s, double.NegativeInfinity, dtype: x.dtype, device: x.device).triu(1);
        x = ln_final.forward(transformer.forward(x, causal));
        var feats = torch.matmul(x, text_projection);
        var valid = tokens.ne(cfg.PadId);
        Tensor global;
        if (cfg.Pool == Pooling.Average)
        {
            var w = valid.to(feats.dtype).unsqueeze(-1);
            global = (feats * w).sum(1) / w.sum(1);
        }
        else
        {
            var eot = tokens.argmax(-1);   // open_clip: the end-of-text token has the largest id
            global = feats[torch.arange(feats.shape[0], device: feats.device), eot];
        }
        return (global.MoveToOuterDisposeScope(), feats.MoveToOuterDisposeScope(), valid.MoveToOuterDisposeScope());
    }
}
