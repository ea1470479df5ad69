using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// Multi-head self-attention with open_clip's (= torch.nn.MultiheadAttention's) parameter names:
/// in_proj_weight [3W, W], in_proj_bias [3W], out_proj.{weight,bias}.
/// </summary>
public sealed class SelfAttention : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly int heads;
    private Parameter in_proj_weight;
    private Parameter in_proj_bias;
    private Linear out_proj;

    public SelfAttention(int width, int heads) : base("attn")
    {
        this.heads = heads;
        in_proj_weight = new Parameter(torch.empty(3 * width, width));
        in_proj_bias = new Parameter(torch.zeros(3 * width));
        out_proj = nn.Linear(width, width);
        nn.init.normal_(in_proj_weight, std: Math.Pow(width, -0.5));
        RegisterComponents();
    }

    /// <param name="x">[B, S, W]</param>
    /// <param name="mask">additive attention mask [S, S] (−∞ where attention is not allowed), or null</param>
    public override Tensor forward(Tensor x, Tensor? mask) => ForwardWithWeights(x, mask).Output;

    /// <summary>The output and the attention weights [B, heads, S, S] (A-CLIP reads them from its EMA
    /// encoder).</summary>
    /// <param name="mask">additive mask broadcastable to [B, heads, S, S]: [S, S] (causal) or [B, 1, 1, S] (hidden
    /// keys)</param>
    public (Tensor Output, Tensor Weights) ForwardWithWeights(Tensor x, Tensor? mask)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], s = x.shape[1], w = x.shape[2], hd = w / heads;
        // The products go through Autocast (bfloat16 under --precision bf16); in float32 the same ops as before.
        var qkv = Autocast.Linear(x, in_proj_weight, in_proj_bias).view(b, s, 3, heads, hd).permute(2, 0, 3, 1, 4);
        var att = Autocast.MatMul(qkv[0], qkv[1].transpose(-2, -1)) * (1.0 / Math.Sqrt(hd));
        if (mask is not null) att = att + mask;
        var weights = Autocast.Softmax(att, -1);
        var y = Autocast.MatMul(weights, qkv[2]).transpose(1, 2).reshape(b, s, w);
        return (Autocast.Linear(y, out_proj.weight!, out_proj.bias).MoveToOuterDisposeScope(),
                weights.MoveToOuterDisposeScope());
    }
}

/// <summary>open_clip's QuickGELU, x·σ(1.702·x): the activation OpenAI's CLIP weights were trained with.</summary>
public sealed class QuickGelu() : nn.Module<Tensor, Tensor>("quick_gelu")
{
    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return (x * torch.sigmoid(x * 1.702)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Pre-LayerNorm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)) (open_clip names); the MLP's
/// activation is GELU (erf) or, for OpenAI's weights, QuickGELU.
/// </summary>
public sealed class ResidualAttentionBlock : nn.Module<Tensor, Tensor?, Tensor>
{
    private LayerNorm ln_1;
    private SelfAttention attn;
    private LayerNorm ln_2;
    private Sequential mlp;
    // mlp's two layers, for Autocast.Linear (a tuple field is not registered: the names stay mlp.c_fc, mlp.c_proj).
    private readonly (Linear Fc, nn.Module<Tensor, Tensor> Activation, Linear Proj) _mlpLayers;

    public ResidualAttentionBlock(int width, int heads, double mlpRatio, int layers,
        bool quickGelu = false) : base("resblock")
    {
        var hidden = (int)Math.Round(width * mlpRatio);
        ln_1 = nn.LayerNorm(width);
        attn = new SelfAttention(width, heads);
        ln_2 = nn.LayerNorm(width);
        var c_fc = nn.Linear(width, hidden);
        var c_proj = nn.Linear(hidden, width);
        // open_clip's initialisation scales: fc by (2W)^-1/2, output projections by W^-1/2 (2·layers)^-1/2.
        nn.init.normal_(c_fc.weight!, std: Math.Pow(2.0 * width, -0.5));
        nn.init.normal_(c_proj.weight!, std: Math.Pow(width, -0.5) * Math.Pow(2.0 * layers, -0.5));
        nn.Module<Tensor, Tensor> activation = quickGelu ? new QuickGelu() : nn.GELU();
        mlp = nn.Sequential(("c_fc", c_fc), ("gelu", activation), ("c_proj", c_proj));
        _mlpLayers = (c_fc, activation, c_proj);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor? mask) => ForwardWithWeights(x, mask).Output;

    /// <summary>The block's output and its attention weights [B, heads, S, S].</summary>
    public (Tensor Output, Tensor Weights) ForwardWithWeights(Tensor x, Tensor? mask)
    {
        using var scope = torch.NewDisposeScope();
        var (a, weights) = attn.ForwardWithWeights(ln_1.forward(x), mask);
        var h = x + a;
        var (fc, activation, proj) = _mlpLayers;
        var hidden = activation.forward(Autocast.Linear(ln_2.forward(h), fc.weight!, fc.bias));
        return ((h + Autocast.Linear(hidden, proj.weight!, proj.bias)).MoveToOuterDisposeScope(),
                weights.MoveToOuterDisposeScope());
    }
}

/// <summary>A stack of blocks, registered as <c>resblocks.N</c> like open_clip's Transformer.</summary>
public sealed class Transformer : nn.Module<Tensor, Tensor?, Tensor>
{
    private ModuleList<ResidualAttentionBlock> resblocks;

    public Transformer(int width, int layers, int heads, double mlpRatio, bool quickGelu = false) : base("transformer")
    {
        resblocks = nn.ModuleList(Enumerable.Range(0, layers)
            .Select(_ => new ResidualAttentionBlock(width, heads, mlpRatio, layers, quickGelu)).ToArray());
        RegisterComponents();
    }

    /// <summary>
    /// Activation checkpointing (open_clip's set_grad_checkpointing): when on, each block keeps only its input for
    /// the backward and recomputes its activations there (<see cref="BlockCheckpoint"/>).
    /// </summary>
    public bool GradCheckpointing { get; set; }

    public override Tensor forward(Tensor x, Tensor? mask)
    {
        using var scope = torch.NewDisposeScope();
        var checkpoint = GradCheckpointing && torch.is_grad_enabled();
        foreach (var block in resblocks)
            x = checkpoint ? BlockCheckpoint.Apply(block, x, mask) : block.forward(x, mask);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>The output and the attention weights averaged over layers and heads, [B, S, S] (A-CLIP's attention
    /// map).</summary>
    public (Tensor Output, Tensor MeanWeights) ForwardWithMeanWeights(Tensor x, Tensor? mask)
    {
        using var scope = torch.NewDisposeScope();
        Tensor? sum = null;
        foreach (var block in resblocks)
        {
            (x, var w) = block.ForwardWithWeights(x, mask);
            var perHead = w.mean([1]);
            sum = sum is null ? perHead : sum + perHead;
        }
        return (x.MoveToOuterDisposeScope(), (sum! / resblocks.Count).MoveToOuterDisposeScope());
    }
}
