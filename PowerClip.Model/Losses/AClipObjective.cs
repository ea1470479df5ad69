using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// A-CLIP. Forward: the EMA encoder sees the whole image and scores each patch by attention (averaged over layers
/// and heads, <see cref="AClipSettings.Query"/>); each of V views is a random resized crop of the image, the score
/// map cropped the same way, and the online encoder sees the ⌈keep·blocks⌉ best blocks of the view. Loss:
/// L = (1/V)·Σ_v L_CLIP(view v, text) + w_s·SimCLR(view 1, view 2) + w_b·BYOL(online views, EMA target).
/// [reconstructed] The EMA view is the whole image (A-CLIP's is a zoomed-out crop covering both views); A-CLIP's
/// EMA text encoder is left out (its code uses it for evaluation only, not in the loss).
/// </summary>
public sealed class AClipObjective(AClipSettings settings) : IStatefulObjective
{
    public const string Views = "views", SimClrFeatures = "ssl", ByolOnline = "byol_online", ByolTarget = "byol_target";

    private AClipState? _state;
    private ClipModel? _model;

    public AClipObjective() : this(new AClipSettings()) { }

    public AClipSettings Settings { get; } = settings.Validate();

    public string Name => "a-clip";

    public bool RandomForward => true;

    public nn.Module State
        => _state ?? throw new InvalidOperationException(
            "A-CLIP: Attach(model) builds the EMA encoder and heads before use");

    public void Attach(ClipModel model)
    {
        if (_model is not null)
        {
            if (!ReferenceEquals(_model,
                model)) throw new InvalidOperationException("A-CLIP is already attached to another model");
            return;
        }
        if (model.Config.Vision.GridSize % Settings.BlockSize != 0)
            throw new ArgumentException($"A-CLIP block size {Settings.BlockSize} must divide the patch grid " +
                                        $"({model.Config.Vision.GridSize} patches per side of '{model.Config.Name}')");
        _state = new AClipState(model, Settings);
        _model = model;
        if (Settings.FreezePatchEmbedding)
            foreach (var (name, p) in model.Visual.named_parameters())
                if (name.StartsWith("conv1.", StringComparison.Ordinal)) p.requires_grad = false;
    }

    public void AfterOptimizerStep(ClipModel model, int completedSteps, int totalSteps) =>
        Require(model).Update(model.Visual, Settings.Momentum(completedSteps, totalSteps));

    private AClipState Require(ClipModel model) =>
        _state is not null && ReferenceEquals(_model, model) ? _state
            : throw new InvalidOperationException(
                "A-CLIP: Attach(model) with this model first (it builds the EMA encoder and heads)");

    public ClipOutputs Forward(ClipModel model, Tensor images, Tensor tokens, ForwardContext context)
    {
        var state = Require(model);
        if (images.shape[0] != tokens.shape[0])
            throw new ArgumentException(
                $"batch sizes differ: {images.shape[0]} images but {tokens.shape[0]} token rows");
        using var scope = torch.NewDisposeScope();
        long b = images.shape[0];
        int g = model.Config.Vision.GridSize;
        Tensor scores, target;
        using (torch.no_grad())
        {
            var ema = state.EmaVisual.Encode(images, null, context, withAttention: true);
            scores = PatchScores(ema.Attention!, Settings.Query, model.Config.Vision.Pool).view(b, 1, g, g);
            target = state.Target(ema.Global);
        }
        var views = new List<VisionEncoding>();
        for (var v = 0; v < Settings.Views; v++)
        {
            var theta = RandomResizedCrops.Draw(b, Settings.CropScaleMin, Settings.CropScaleMax, Settings.CropRatioMin,
                Settings.CropRatioMax, context.Generator, images.device);
            var view = RandomResizedCrops.Apply(images, theta, images.shape[2]);
            var viewScores = RandomResizedCrops.Apply(scores, theta, g).view(b, g, g);
            views.Add(model.Visual.Encode(view,
                new AttentivePatchSelector(viewScores, Settings.KeepRatio, Settings.BlockSize), context));
        }
        var (text, features, valid) = model.Text.Encode(tokens);
        var globals = torch.stack(views.Select(e => e.Global), 1);                                  // [B, V, E]
        var flat = globals.reshape(b * Settings.Views, -1);
        var unit = nn.functional.normalize(globals, dim: -1);
        return new ClipOutputs(unit[.., 0].MoveToOuterDisposeScope(),
            nn.functional.normalize(text, dim: -1).MoveToOuterDisposeScope(),
            model.LogitScale().MoveToOuterDisposeScope(), views[0].Patches.MoveToOuterDisposeScope(),
            features.MoveToOuterDisposeScope(), valid.MoveToOuterDisposeScope())
        {
            Extra = new Dictionary<string, Tensor>
            {
                [Views] = unit.MoveToOuterDisposeScope(),
                [SimClrFeatures] = state.SimClr(flat).view(b, Settings.Views, -1).MoveToOuterDisposeScope(),
                [ByolOnline] = state.Predict(flat).view(b, Settings.Views, -1).MoveToOuterDisposeScope(),
                [ByolTarget] = target.MoveToOuterDisposeScope(),
            },
        };
    }

    /// <summary>[B, N] attention per patch from the mean attention [B, 1 + N, 1 + N]: the class token's row or the mean
    /// patch row.</summary>
    public static Tensor PatchScores(Tensor attention, AttentionQuery query, Pooling pooling)
    {
        var useClass = query == AttentionQuery.ClassToken
            || (query == AttentionQuery.Pooled && pooling == Pooling.Token);
        return useClass ? attention[.., 0, 1..] : attention[.., 1.., 1..].mean([1]);
    }

    public LossOutput Compute(ObjectiveInputs inputs)
    {
        var o = inputs.Outputs;
        Objectives.CheckOutputs(o);
        foreach (var key in new[] { Views, SimClrFeatures, ByolOnline, ByolTarget })
            if (!o.Extra.ContainsKey(key))
                throw new ArgumentException(
                    $"A-CLIP needs the outputs of its own forward pass (IContrastiveObjective.Forward): " +
                    $"'{key}' is missing");
        // Data-parallel: the view embeddings, SimCLR features and BYOL predictions and targets of every rank (the
        // heads ran per rank before the gather, so their gradients sum exactly; BatchNorm statistics stay per rank, as
        // in A-CLIP's own DDP code).
        // Every rank computes the whole loss (global negatives whatever --negatives says: A-CLIP's own code gathers),
        // and returns its share of it (IFeatureGather.ShareOfReplicated).
        var ranks = inputs.Ranks;
        return ranks.ShareOfReplicated(FromEmbeddings(ranks.AllGather(o.Extra[Views]), ranks.AllGather(o.TextEmbeds),
            ranks.Replicated(o.LogitScale), ranks.AllGather(o.Extra[SimClrFeatures]),
            ranks.AllGather(o.Extra[ByolOnline]), ranks.AllGather(o.Extra[ByolTarget])));
    }

    /// <summary>The loss from unit view embeddings [B, V, E], unit text embeddings [B, E], the logit scale, SimCLR
    /// features [B, V, P], BYOL predictions [B, V, P] and targets [B, P] (gathered ones too).</summary>
    public LossOutput FromEmbeddings(Tensor views, Tensor text, Tensor scale, Tensor simClr, Tensor online,
        Tensor target)
    {
        InputChecks.SameBatch(views.shape[0], "A-CLIP views", text.shape[0], "text embeddings");
        InputChecks.Finite(views, "A-CLIP views");
        using var scope = torch.NewDisposeScope();
        var clip = Enumerable.Range(0, (int)views.shape[1]).Select(v
            => ClipLoss.Compute(views[.., v], text, scale)).Aggregate((x, y) => x + y) / views.shape[1];
        var parts = new Dictionary<string, Tensor> { ["clip"] = clip };
        var total = clip;
        if (Settings.SimClrWeight > 0 && views.shape[1] >= 2)
        {
            var ssl = SelfSupervisedLosses.SimClr(simClr[.., 0], simClr[.., 1], Settings.SimClrTemperature);
            parts["simclr"] = ssl;
            total = total + Settings.SimClrWeight * ssl;
        }
        if (Settings.ByolWeight > 0)
        {
            var byol = SelfSupervisedLosses.Byol(online, target);
            parts["byol"] = byol;
            total = total + Settings.ByolWeight * byol;
        }
        return Objectives.Escape(total, parts);
    }
}
