using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// A-CLIP's state beside the CLIP model: the EMA (momentum) copy of the vision encoder and of the BYOL projector
/// (not trained: updated by <see cref="Update"/> after each optimizer step), and the trained heads — SimCLR's
/// three-layer MLP and BYOL's projector and predictor (Linear–BatchNorm–ReLU stacks, as A-CLIP's code). The heads
/// read the global embedding of a view (the mean of its projected patch tokens under average pooling) [reconstructed:
/// A-CLIP's read the class token before the joint projection]. Checkpointed as one state dict (EMA weights included).
/// </summary>
public sealed class AClipState : nn.Module
{
    private VisionTransformer ema_visual;
    private Sequential ema_byol_projector;
    private Sequential simclr_head;
    private Sequential byol_projector;
    private Sequential byol_predictor;

    public AClipState(ClipModel model, AClipSettings settings) : base("a_clip")
    {
        var e = model.Config.EmbedDim;
        var hidden = Math.Max(1, (int)Math.Round(e * settings.HeadHiddenPerEmbed));
        var output = Math.Max(1, (int)Math.Round(e * settings.HeadOutPerEmbed));
        simclr_head = nn.Sequential(("layer1", nn.Linear(e, hidden)), ("bn1", nn.BatchNorm1d(hidden)),
            ("relu1", nn.ReLU()),
                                    ("layer2", nn.Linear(hidden, hidden)), ("bn2", nn.BatchNorm1d(hidden)),
                                        ("relu2", nn.ReLU()),
                                    ("layer3", nn.Linear(hidden, output)));
        byol_projector = TwoLayer(e, hidden, output);
        byol_predictor = TwoLayer(output, hidden, output);
        ema_byol_projector = TwoLayer(e, hidden, output);
        ema_visual = new VisionTransformer(model.Config.Vision, e);
        RegisterComponents();
        var reference = model.parameters().First();
        this.to(reference.device);
        if (reference.dtype != ScalarType.Float32) this.to(reference.dtype);   // a float64 model (exactness tests)
        using var noGrad = torch.no_grad();
        CopyInto(ema_visual, model.Visual);
        CopyInto(ema_byol_projector, byol_projector);
        foreach (var p in ema_visual.parameters().Concat(ema_byol_projector.parameters())) p.requires_grad = false;
    }

    /// <summary>BYOL's 2-layer MLP: Linear (no bias) – BatchNorm – ReLU – Linear (no bias), A-CLIP's _build_mlp_byol(2,
    /// …, last_bn=False).</summary>
    private static Sequential TwoLayer(int input, int hidden, int output) =>
        nn.Sequential(("0", nn.Linear(input, hidden, hasBias: false)), ("1", nn.BatchNorm1d(hidden)), ("2", nn.ReLU()),
                      ("3", nn.Linear(hidden, output, hasBias: false)));

    public VisionTransformer EmaVisual => ema_visual;

    /// <summary>SimCLR embeddings of global features [R, E].</summary>
    public Tensor SimClr(Tensor globals) => simclr_head.forward(globals);

    /// <summary>BYOL online predictions predictor(projector(x)) of global features [R, E].</summary>
    public Tensor Predict(Tensor globals) => byol_predictor.forward(byol_projector.forward(globals));

    /// <summary>BYOL targets: the EMA projector on the EMA encoder's global features [R, E].</summary>
    public Tensor Target(Tensor emaGlobals) => ema_byol_projector.forward(emaGlobals);

    /// <summary>EMA step: θ_ema ← m·θ_ema + (1 − m)·θ for the vision encoder and the BYOL projector (parameters;
    /// BatchNorm statistics are the EMA copy's own).</summary>
    public void Update(VisionTransformer online, double momentum)
    {
        using var noGrad = torch.no_grad();
        Blend(ema_visual, online, momentum);
        Blend(ema_byol_projector, byol_projector, momentum);
    }

    private static void Blend(nn.Module target, nn.Module source, double m)
    {
        var from = source.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in target.named_parameters())
            p.mul_(m).add_(from[name], alpha: 1 - m);
    }

    private static void CopyInto(nn.Module target, nn.Module source)
    {
        var from = source.state_dict();
        foreach (var (name, t) in target.state_dict()) t.copy_(from[name]);
    }
}
