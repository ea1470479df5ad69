using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// E-CLIP (cluster masking) and CLIP-PGS (patch generation-to-selection): CLIP's symmetric InfoNCE on the global
/// embeddings of a forward pass in which the vision encoder sees only the patches <see cref="ClusterPatchSelector"/>
/// keeps. The loss itself is CLIP's (both papers train with open_clip's ClipLoss), so its data-parallel form is
/// CLIP's on gathered global embeddings; the masking happens per rank in the forward.
/// </summary>
public sealed class ClusterMaskingObjective : IContrastiveObjective
{
    private readonly IPatchSelector _selector;

    private ClusterMaskingObjective(string name, ClusterMaskingOptions options)
    {
        Name = name;
        _selector = new ClusterPatchSelector(options);
    }

    public static ClusterMaskingObjective EClip(EClipSettings settings)
        => new("e-clip", settings.Validate().ToOptions());

    public static ClusterMaskingObjective ClipPgs(ClipPgsSettings settings)
        => new("clip-pgs", settings.Validate().ToOptions());

    public string Name { get; }

    public bool RandomForward => true;

    public ClipOutputs Forward(ClipModel model, Tensor images, Tensor tokens, ForwardContext context) =>
        model.Forward(images, tokens, _selector, context);

    /// <summary>CLIP's loss; part "visible_patches" reports the mean number of patches an image showed the
    /// encoder.</summary>
    public LossOutput Compute(ObjectiveInputs inputs)
    {
        var clip = new ClipObjective().Compute(inputs).Total;
        var o = inputs.Outputs;
        var visible = o.VisiblePatches is { } v ? v.to(ScalarType.Float32).sum(1).mean()
            : torch.tensor((float)o.PatchTokens.shape[1], device: o.PatchTokens.device);
        return new LossOutput(clip, new Dictionary<string, Tensor> { ["clip"] = clip, ["visible_patches"] = visible });
    }
}
