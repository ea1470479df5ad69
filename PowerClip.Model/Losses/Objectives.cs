using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// What an objective sees of a batch: the model's outputs plus, for PowerCLIP, region masks [B, M, N] and phrase
/// trees; in a data-parallel job, the <paramref name="Gather"/> through which the objective reaches the global batch;
/// <paramref name="DrawSeed"/>, the seed of any random draw inside the loss (the Monte Carlo R2T's subsets), which the
/// trainer derives from (seed, step, micro-batch) so that a resumed run draws what an uninterrupted one drew.
/// </summary>
public sealed record ObjectiveInputs(ClipOutputs Outputs, Tensor? RegionMasks = null, PhraseBatch? Phrases = null,
                                     IFeatureGather? Gather = null, int? DrawSeed = null)
{
    /// <summary>The job's ranks: <see cref="Gather"/>, or one process when none was given.</summary>
    public IFeatureGather Ranks => Gather ?? FeatureGather.Local;
}

/// <summary>
/// A loss value and its named parts (all scalar tensors; the caller decides when to read them). In a job of K ranks
/// they are this rank's share: the sums over ranks of the totals, of each part and of the totals' gradients are the
/// global batch's loss, parts and gradient (<see cref="IFeatureGather"/>, <see cref="Negatives"/>).
/// </summary>
public sealed record LossOutput(Tensor Total, IReadOnlyDictionary<string, Tensor> Parts);

/// <summary>
/// The interface every training objective (CLIP, FLIP, FILIP, SPARC, E-CLIP, CLIP-PGS, A-CLIP,
/// PowerCLIP) implements. An objective owns its
/// data-parallel form: it gathers through <see cref="ObjectiveInputs.Ranks"/> what it needs of the other ranks'
/// batch, so that its loss is the global batch's (see <see cref="IFeatureGather"/> for why that is exact).
/// </summary>
public interface IContrastiveObjective
{
    string Name { get; }
    /// <summary>Fraction of image patches the model keeps in the forward pass (FLIP &lt; 1; others 1).</summary>
    double PatchKeepRatio => 1.0;
    bool NeedsRegions => false;
    bool NeedsPhrases => false;
    /// <summary>Whether the training forward pass draws random numbers (data-parallel ranks then get generators of
    /// their own).</summary>
    bool RandomForward => PatchKeepRatio < 1;

    /// <summary>The training forward pass: masking objectives choose which patches the vision encoder sees.</summary>
    ClipOutputs Forward(ClipModel model, Tensor images, Tensor tokens, ForwardContext context) =>
        model.Forward(images, tokens, PatchKeepRatio < 1 ? new RandomPatchSelector(PatchKeepRatio) : null, context);

    LossOutput Compute(ObjectiveInputs inputs);
}

/// <summary>
/// An objective with state of its own beside the model (A-CLIP: projection heads, trained; an EMA copy of the
/// vision encoder, not trained). The trainer optimises <see cref="State"/>'s trainable parameters with the
/// model's, checkpoints its whole state dict, and calls <see cref="AfterOptimizerStep"/> after every step.
/// </summary>
public interface IStatefulObjective : IContrastiveObjective
{
    /// <summary>The state (valid after <see cref="Attach"/>).</summary>
    nn.Module State { get; }

    /// <summary>Builds the state for this model (EMA copies start equal to the model); once, before training.</summary>
    void Attach(ClipModel model);

    /// <summary>After optimizer step <paramref name="completedSteps"/> − 1 of <paramref name="totalSteps"/> (EMA
    /// updates).</summary>
    void AfterOptimizerStep(ClipModel model, int completedSteps, int totalSteps);
}

/// <summary>The settings of every objective that has any, as one record (persisted as is in a run's config).</summary>
public sealed record ObjectiveSettings
{
    public PowerClipLossConfig PowerClip { get; init; } = new();
    /// <summary>The baselines' open settings (defaults and sources: docs/baselines.md).</summary>
    public FlipSettings Flip { get; init; } = new();
    public SparcSettings Sparc { get; init; } = new();
    public EClipSettings EClip { get; init; } = new();
    public ClipPgsSettings ClipPgs { get; init; } = new();
    public AClipSettings AClip { get; init; } = new();

    /// <summary>
    /// How a data-parallel job splits the loss head (<see cref="Model.Negatives"/>): local (ours, the default: each
    /// rank its own rows, open_clip's local_loss) or global (every rank the whole head). Irrelevant in one process.
    /// </summary>
    public Negatives Negatives { get; init; } = Negatives.Local;

    public ObjectiveSettings Validate()
    {
        PowerClip.Validate();
        Flip.Validate(); Sparc.Validate(); EClip.Validate(); ClipPgs.Validate(); AClip.Validate();
        return this;
    }
}

/// <summary>
/// One objective as the program names it: a base objective (<see cref="Objective"/>) and what the name sets in its
/// settings — the paper's ablations are names that switch one part of PowerCLIP off.
/// </summary>
public sealed record ObjectiveEntry(string Name, string Objective, string Description, bool IsAblation = false,
                                    Func<PowerClipLossConfig, PowerClipLossConfig>? PowerClip = null)
{
    /// <summary>The settings this name implies, starting from <paramref name="settings"/>.</summary>
    public ObjectiveSettings Configure(ObjectiveSettings settings) =>
        PowerClip is null ? settings : settings with { PowerClip = PowerClip(settings.PowerClip) };
}

/// <summary>The catalogue of objectives: every name the program accepts, in one place.</summary>
public static class Objectives
{
    public static IReadOnlyList<ObjectiveEntry> Catalogue { get; } =
    [
        new("clip", "clip", "CLIP: symmetric InfoNCE on the global embeddings"),
        new("flip", "flip", "FLIP: CLIP with random patch dropping"),
        new("filip", "filip", "FILIP: token-wise late interaction"),
        new("sparc", "sparc", "SPARC: CLIP plus a sparse fine-grained token-patch loss"),
        new("e-clip", "e-clip", "E-CLIP: CLIP with cluster masking of patches"),
        new("clip-pgs", "clip-pgs", "CLIP-PGS: CLIP with edge-guided patch generation-to-selection masking"),
        new("a-clip", "a-clip", "A-CLIP: attentive masking by an EMA encoder, plus self-supervised losses"),
        new("powerclip", "powerclip", "PowerCLIP: CLIP plus λ·triplet on S̄ = NLA-T1 + NLA-T2"),
        new("powerclip-exact", "powerclip", "PowerCLIP with the exact 2^M powerset sums (small M only)",
            PowerClip: c => c with { Aggregation = PowersetAggregation.Exact }),
        new("powerclip-no-subsets", "powerclip", "ablation: single regions instead of region subsets", true,
            c => c with { UseSubsets = false }),
        new("powerclip-no-tree", "powerclip", "ablation: every word its own node, no phrases", true,
            c => c with { UseTree = false }),
        new("powerclip-no-r2t", "powerclip", "ablation: S̄ without the region→text term", true,
            c => c with { UseR2T = false }),
        new("powerclip-no-t2r", "powerclip", "ablation: S̄ without the text→region term", true,
            c => c with { UseT2R = false }),
        new("powerclip-no-triplet", "powerclip", "ablation: no triplet term (the loss is CLIP's)", true,
            c => c with { UseTriplet = false }),
    ];

    /// <summary>The objectives themselves (the catalogue without the ablations).</summary>
    public static IReadOnlyList<string> Names { get; } = Catalogue.Where(e => !e.IsAblation).Select(e => e.Name)
        .ToArray();

    /// <summary>Every accepted name, ablations included.</summary>
    public static IReadOnlyList<string> AllNames { get; } = Catalogue.Select(e => e.Name).ToArray();

    /// <summary>The entry of a name; an ArgumentException listing the names otherwise (<paramref name="what"/> names
    /// the setting).</summary>
    public static ObjectiveEntry Find(string name, string what = "objective") =>
        Catalogue.FirstOrDefault(e => e.Name == name)
        ?? throw new ArgumentException($"unknown {what} '{name}': expected one of {string.Join(", ", AllNames)}");

    /// <summary>The objective a catalogue name stands for, with the settings that name implies.</summary>
    public static IContrastiveObjective Create(string name, ObjectiveSettings? settings = null)
    {
        var entry = Find(name);
        var s = entry.Configure(settings ?? new ObjectiveSettings());
        return entry.Objective switch
        {
            "clip" => new ClipObjective { Negatives = s.Negatives },
            "flip" => new FlipObjective(s.Flip) { Negatives = s.Negatives },
            "filip" => new FilipObjective { Negatives = s.Negatives },
            "sparc" => new SparcObjective(s.Sparc) { Negatives = s.Negatives },
            "e-clip" => ClusterMaskingObjective.EClip(s.EClip, s.Negatives),
            "clip-pgs" => ClusterMaskingObjective.ClipPgs(s.ClipPgs, s.Negatives),
            "a-clip" => new AClipObjective(s.AClip),
            "powerclip" => new PowerClipLoss(s.PowerClip) { Negatives = s.Negatives },
            var other => throw new InvalidOperationException($"catalogue entry '{name}' names no objective '{other}'"),
        };
    }

    /// <summary>
    /// Moves a loss and its parts out of the caller's dispose scope, each distinct tensor exactly once
    /// (moving a tensor twice would hand it to the scope above the caller's).
    /// </summary>
    internal static LossOutput Escape(Tensor total, IReadOnlyDictionary<string, Tensor> parts)
    {
        foreach (var t in parts.Values.Append(total).Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>())
            t.MoveToOuterDisposeScope();
        return new LossOutput(total, parts);
    }

    /// <summary>Shared checks: equal batch sizes and finite features, naming the offending sample.</summary>
    internal static void CheckOutputs(ClipOutputs o)
    {
        var b = o.ImageEmbeds.shape[0];
        InputChecks.SameBatch(b, "image embeddings", o.TextEmbeds.shape[0], "text embeddings");
        InputChecks.SameBatch(b, "image embeddings", o.PatchTokens.shape[0], "patch tokens");
        InputChecks.SameBatch(b, "image embeddings", o.TokenFeatures.shape[0], "token features");
        InputChecks.Finite(o.ImageEmbeds, "image embeddings");
        InputChecks.Finite(o.TextEmbeds, "text embeddings");
    }

    /// <summary>CheckOutputs plus finite patch tokens and token features, for the token-level objectives (FILIP,
    /// SPARC).</summary>
    internal static void CheckTokenOutputs(ClipOutputs o)
    {
        CheckOutputs(o);
        InputChecks.Finite(o.PatchTokens, "patch tokens");
        InputChecks.Finite(o.TokenFeatures, "token features");
    }
}
