using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// E-CLIP (cluster masking) and CLIP-PGS (patch generation-to-selection): CLIP's symmetric InfoNCE on the global
/// embeddings of a forward pass in which the vision encoder sees only the patches <see cref="ClusterPatchSelector"/>
/// keeps. The loss itself is CLIP's (both papers train with open_clip's ClipLoss), so its data-parallel form is
/// CLIP's (local or global negatives); the masking happens per rank in the forward.
/// </summary>
public sealed class ClusterMaskingObjective : IContrastiveObjective
{
    private readonly IPatchSelector _selector;

    private ClusterMaskingObjective(string name, ClusterMaskingOptions options, Negatives negatives)
    {
        Name = name;
        _selector = new ClusterPatchSelector(options);
        Negatives = negatives;
    }

    public static ClusterMaskingObjective EClip(EClipSettings settings, Negatives negatives = Negatives.Local)
        => new("e-clip", settings.Validate().ToOptions(), negatives);

    public static ClusterMaskingObjective ClipPgs(ClipPgsSettings settings, Negatives negatives = Negatives.Local)
        => new("clip-pgs", settings.Validate().ToOptions(), negatives);

    /// <summary>How a data-parallel job splits CLIP's loss (<see cref="Model.Negatives"/>).</summary>
    public Negatives Negatives { get; }

    public string Name { get; }

    public bool RandomForward => true;

    public ClipOutputs Forward(ClipModel model, Tensor images, Tensor tokens, ForwardContext context) =>
        model.Forward(images, tokens, _selector, context);

    /// <summary>CLIP's loss (this rank's share); part "visible_patches" reports the mean number of patches an image
    /// showed the encoder (as a share too: the ranks' parts are summed).</summary>
    public LossOutput Compute(ObjectiveInputs inputs)
    {
        var clip = ClipObjective.Share(inputs, Negatives);
        var o = inputs.Outputs;
        var visible = (o.VisiblePatches is { } v ? v.to(ScalarType.Float32).sum(1).mean()
            : torch.tensor((float)o.PatchTokens.shape[1], device: o.PatchTokens.device)) / inputs.Ranks.Size;
        return new LossOutput(clip, new Dictionary<string, Tensor> { ["clip"] = clip, ["visible_patches"] = visible });
    }
}
