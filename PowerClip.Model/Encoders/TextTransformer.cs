using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// Causal text transformer with open_clip's names (token_embedding, positional_embedding,
/// transformer.resblocks.N, ln_final, text_projection). ClipModel saves these at the top level of the
/// state dict, as open_clip's CLIP does. text_projection is a matrix [W, E] or, with open_clip's proj_bias,
/// a Linear (text_projection.weight [E, W], text_projection.bias [E]).
/// </summary>
public sealed class TextTransformer : nn.Module
{
    private readonly TextConfig cfg;
    private Embedding token_embedding;
    private Parameter positional_embedding;
    private Transformer transformer;
    private LayerNorm ln_final;
    // A [W, E] matrix (Parameter) or, with proj_bias, a Linear: one field, so that either registers under open_clip's
    // name (two fields sharing a [ComponentName] were registered twice when the model changed dtype).
    private object text_projection;

    public TextTransformer(TextConfig cfg, int embedDim, bool quickGelu = false) : base("text")
    {
        this.cfg = cfg;
        token_embedding = nn.Embedding(cfg.VocabSize, cfg.Width);
        nn.init.normal_(token_embedding.weight!, std: 0.02);
        positional_embedding = new Parameter(torch.randn(cfg.ContextLength, cfg.Width) * 0.01);
        transformer = new Transformer(cfg.Width, cfg.Layers, cfg.Heads, cfg.MlpRatio, quickGelu);
        ln_final = nn.LayerNorm(cfg.Width);
        if (cfg.ProjectionBias)
        {
            var linear = nn.Linear(cfg.Width, embedDim);
            nn.init.normal_(linear.weight!, std: Math.Pow(cfg.Width, -0.5));
            text_projection = linear;
        }
        else text_projection = new Parameter(torch.randn(cfg.Width, embedDim) * Math.Pow(cfg.Width, -0.5));
        RegisterComponents();
    }

    /// <summary>The stack of residual attention blocks.</summary>
    public Transformer Blocks => transformer;

    /// <summary>
    /// Encodes token ids [B, S] (S ≤ context length): each row is the caption from its start token to its first end
    /// token (<see cref="TextConfig.EndId"/>), then anything (open_clip writes 0, itself a real token). The causal
    /// mask keeps the caption's positions blind to what follows it; pooling and the returned mask use the caption only.
    /// </summary>
    /// <returns>Global embedding [B, E] (not normalized), projected token features [B, S, E], caption mask [B,
    /// S].</returns>
    public (Tensor Global, Tensor Tokens, Tensor Valid) Encode(Tensor tokens)
    {
        InputChecks.Tokens(tokens, cfg);
        using var scope = torch.NewDisposeScope();
        var s = tokens.shape[1];
        var x = token_embedding.forward(tokens) + positional_embedding[..(int)s];
        var causal = torch.full(s, s, double.NegativeInfinity, dtype: x.dtype, device: x.device).triu(1);
        x = ln_final.forward(transformer.forward(x, causal));
        var feats = text_projection is Linear linear ? linear.forward(x) : torch.matmul(x, (Parameter)text_projection);
        var end = EndPositions(tokens, cfg.EndId);
        var valid = torch.arange(s, device: tokens.device).unsqueeze(0).le(end.unsqueeze(1));
        var rows = torch.arange(feats.shape[0], device: feats.device);
        var global = cfg.Pool switch
        {
            Pooling.Average => (feats * valid.to(feats.dtype).unsqueeze(-1)).sum(1) / (end
                + 1).to(feats.dtype).unsqueeze(-1),
            Pooling.Token => feats[rows, end],   // open_clip's argmax: the end token (CLIP's largest id)
            Pooling.First => feats[.., 0],
            Pooling.Last => feats[.., -1],
            _ => throw new InvalidOperationException($"text pooling {cfg.Pool} is not defined"),
        };
        return (global.MoveToOuterDisposeScope(), feats.MoveToOuterDisposeScope(), valid.MoveToOuterDisposeScope());
    }

    /// <summary>Per row, the position of the first end token [B] (int64): the caption's length − 1.</summary>
    public static Tensor EndPositions(Tensor tokens, int endId)
    {
        using var scope = torch.NewDisposeScope();
        // The number of positions before the first end token (no reliance on argmax's tie order).
        return tokens.eq(endId).to(ScalarType.Int64).cumsum(1).eq(0).sum(1).MoveToOuterDisposeScope();
    }
}
