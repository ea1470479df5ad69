namespace PowerClip.Model;

/// <summary>FLIP (Li et al., CVPR 2023): CLIP on a random subset of the patches. Keep ratio 0.5 is FLIP's main setting
/// [paper].</summary>
public sealed record FlipSettings
{
    public double KeepRatio { get; init; } = 0.5;

    public FlipSettings Validate()
    {
        SettingsCheck.Need(KeepRatio > 0 && KeepRatio <= 1, "FLIP", $"keep_ratio must be in (0, 1], got {KeepRatio}");
        return this;
    }
}

/// <summary>
/// E-CLIP, cluster masking (Wei, Pan, Owens, "Efficient Vision-Language Pre-training by Cluster Masking",
/// CVPR 2024; the method CLIP-PGS calls E-CLIP). A few random anchor patches each remove every patch whose
/// pixel similarity (cosine of mean-centred RGB patches) to it exceeds a threshold; a minimum mask ratio
/// adds random masking where the clusters remove too little. Sources of each default: docs/baselines.md.
/// </summary>
public sealed record EClipSettings
{
    /// <summary>Fraction of patches drawn as anchors [code: README's --force-patch-dropout 0.03; project page: "less
    /// than 5%"].</summary>
    public double AnchorRatio { get; init; } = 0.03;
    /// <summary>Similarity above which a patch joins an anchor's cluster [code: the released forward receives
    /// 0.5].</summary>
    public double SimilarityThreshold { get; init; } = 0.5;
    /// <summary>When set, the threshold is searched per batch so the mean mask ratio hits this [code: params.py's
    /// "automatic search", not called by the released training; per batch: ours]. Null: fixed threshold.</summary>
    public double? TargetMaskRatio { get; init; }
    /// <summary>At least this fraction is masked: random extra masking where clusters remove less [code: README's
    /// --min_mask_ratio 0.3].</summary>
    public double MinMaskRatio { get; init; } = 0.3;
    /// <summary>Mix patch-embedding cosine into the pixel similarity with weight = training progress [paper: optional
    /// variant; code default off].</summary>
    public bool UseEmbeddingSimilarity { get; init; }
    /// <summary>An anchor is masked even when its self-similarity is undefined (a grey, flat patch)
    /// [reconstructed].</summary>
    public bool MaskAnchors { get; init; } = true;

    public EClipSettings Validate()
    {
        ClusterMaskingOptions.Check("E-CLIP", AnchorRatio, SimilarityThreshold, TargetMaskRatio, MinMaskRatio);
        return this;
    }

    internal ClusterMaskingOptions ToOptions() => new(AnchorRatio, SimilarityThreshold, TargetMaskRatio, MinMaskRatio,
        UseEmbeddingSimilarity, UseSinkhorn: false, SinkhornIterations: 0, SinkhornEpsilon: 0, EdgeWeight: 0,
        MaskAnchors);
}

/// <summary>
/// CLIP-PGS, patch generation-to-selection (Pei et al., "Seeing What Matters: Empowering CLIP with Patch
/// Generation-to-Selection", CVPR 2025): E-CLIP's cluster masking with candidates steered by a Sobel edge
/// map (patches on object edges are kept), a similarity that moves from pixels to patch embeddings over
/// training, and optimal-transport (Sinkhorn) normalisation of the similarity matrix. Sources: docs/baselines.md.
/// </summary>
public sealed record ClipPgsSettings
{
    /// <summary>Fraction of patches pre-selected as mask candidates [code: --force-patch-dropout 0.05].</summary>
    public double CandidateRatio { get; init; } = 0.05;
    /// <summary>Similarity above which a patch is masked with its candidate [code: --target-mask-ratio 0.5, used as the
    /// threshold].</summary>
    public double SimilarityThreshold { get; init; } = 0.5;
    /// <summary>Minimum mask ratio: 0.5 is CLIP-PGS-0.5, 0.3 CLIP-PGS-0.3 [code]; which one the PowerCLIP paper's
    /// column is [reconstructed: 0.5].</summary>
    public double MinMaskRatio { get; init; } = 0.5;
    /// <summary>Edge guidance: candidate priority u − EdgeWeight·edge, so positive weights keep edges (objects) [paper:
    /// "prioritizes the retention of the primary object areas"].</summary>
    public double EdgeWeight { get; init; } = 1e6;
    /// <summary>Similarity + Sinkhorn(similarity) [paper: optimal transport normalisation; code: --use-otn].</summary>
    public bool UseSinkhorn { get; init; } = true;
    public int SinkhornIterations { get; init; } = 50;
    public double SinkhornEpsilon { get; init; } = 1e-3;
    /// <summary>Similarity = (1 − p)·pixel + p·embedding, p = training progress [code: epoch / 32 of 32
    /// epochs].</summary>
    public bool UseEmbeddingSimilarity { get; init; } = true;
    /// <summary>A candidate is masked even when its self-similarity is undefined (a grey, flat patch)
    /// [reconstructed].</summary>
    public bool MaskAnchors { get; init; } = true;

    public ClipPgsSettings Validate()
    {
        ClusterMaskingOptions.Check("CLIP-PGS", CandidateRatio, SimilarityThreshold, null, MinMaskRatio);
        SettingsCheck.Need(double.IsFinite(EdgeWeight), "CLIP-PGS", $"edge_weight must be finite, got {EdgeWeight}");
        SettingsCheck.Need(SinkhornIterations is >= 1 and <= 10_000, "CLIP-PGS",
            $"sinkhorn_iterations must be in [1, 10000], got {SinkhornIterations}");
        SettingsCheck.Need(SinkhornEpsilon > 0 && SinkhornEpsilon < 1, "CLIP-PGS",
            $"sinkhorn_epsilon must be in (0, 1), got {SinkhornEpsilon}");
        return this;
    }

    internal ClusterMaskingOptions ToOptions() => new(CandidateRatio, SimilarityThreshold, null, MinMaskRatio,
        UseEmbeddingSimilarity, UseSinkhorn, SinkhornIterations, SinkhornEpsilon, EdgeWeight, MaskAnchors);
}

/// <summary>What <see cref="ClusterPatchSelector"/> runs on: E-CLIP is CLIP-PGS without edges and Sinkhorn.</summary>
internal sealed record ClusterMaskingOptions(double AnchorRatio, double SimilarityThreshold, double? TargetMaskRatio,
    double MinMaskRatio,
    bool UseEmbeddingSimilarity, bool UseSinkhorn, int SinkhornIterations, double SinkhornEpsilon, double EdgeWeight,
        bool MaskAnchors)
{
    internal static void Check(string method, double anchorRatio, double threshold, double? target, double minMaskRatio)
    {
        SettingsCheck.Need(anchorRatio > 0 && anchorRatio < 1, method,
            $"anchor ratio must be in (0, 1), got {anchorRatio}");
        SettingsCheck.Need(threshold is >= -1 and <= 2, method,
            $"similarity_threshold must be in [-1, 2], got {threshold}");
        SettingsCheck.Need(target is null or (> 0 and < 1), method,
            $"target_mask_ratio must be in (0, 1), got {target}");
        SettingsCheck.Need(minMaskRatio is >= 0 and < 1, method,
            $"min_mask_ratio must be in [0, 1), got {minMaskRatio}");
    }
}

/// <summary>Shared validation message form: "E-CLIP settings: min_mask_ratio must be …".</summary>
internal static class SettingsCheck
{
    internal static void Need(bool ok, string method, string what)
    {
        if (!ok) throw new ArgumentException($"{method} settings: {what}");
    }
}
