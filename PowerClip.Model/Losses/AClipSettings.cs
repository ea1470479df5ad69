namespace PowerClip.Model;

/// <summary>Which attention of A-CLIP's EMA encoder scores a patch.</summary>
public enum AttentionQuery
{
    /// <summary>The queries the global embedding pools: the class token's row under token pooling (A-CLIP's), the mean
    /// of the patch rows under average pooling (ours).</summary>
    Pooled,
    /// <summary>The class token's row, whatever the pooling [paper].</summary>
    ClassToken,
    /// <summary>The mean of the patch rows: attention each patch receives from the patches [ours].</summary>
    PatchMean,
}

/// <summary>
/// A-CLIP (Yang et al., "Attentive Mask CLIP", ICCV 2023): CLIP on views that keep the patches an EMA vision
/// encoder attends to most, plus SimCLR between the views and a BYOL-style loss against the EMA encoder.
/// L = (1/V)·Σ_v L_CLIP(view v) + w_s·L_SimCLR + w_b·L_BYOL. Sources of each default: docs/baselines.md.
/// </summary>
public sealed record AClipSettings
{
    /// <summary>Masked online views per image [paper: 2 (its best "2×50%" row)].</summary>
    public int Views { get; init; } = 2;
    /// <summary>Fraction of patches each view keeps [paper: 50%].</summary>
    public double KeepRatio { get; init; } = 0.5;
    /// <summary>Patches per side of a mask block [code: 14×14 map → 7×7, i.e. 2×2 blocks]. Must divide the patch
    /// grid.</summary>
    public int BlockSize { get; init; } = 2;
    /// <summary>Crop area fraction of each view [code: RandomResizedCrop(224, scale=(0.5, 1.0))].</summary>
    public double CropScaleMin { get; init; } = 0.5;
    public double CropScaleMax { get; init; } = 1.0;
    /// <summary>Crop aspect range [code: torchvision's default (3/4, 4/3)].</summary>
    public double CropRatioMin { get; init; } = 0.75;
    public double CropRatioMax { get; init; } = 4.0 / 3.0;
    /// <summary>EMA momentum at step 0, raised to 1 by a cosine over training [code: --momentum-ema 0.996,
    /// cosine_scheduler(m, 1)].</summary>
    public double MomentumBase { get; init; } = 0.996;
    /// <summary>[ours] With average pooling there is no trained class token; see <see
    /// cref="AttentionQuery"/>.</summary>
    public AttentionQuery Query { get; init; } = AttentionQuery.Pooled;
    /// <summary>w_s [code: --ssl-scale 1.0].</summary>
    public double SimClrWeight { get; init; } = 1.0;
    /// <summary>SimCLR temperature [code: --ssl-temp 0.1].</summary>
    public double SimClrTemperature { get; init; } = 0.1;
    /// <summary>w_b [code: 2 · im_byol_loss].</summary>
    public double ByolWeight { get; init; } = 2.0;
    /// <summary>Head widths as multiples of the joint width E [reconstructed: A-CLIP's 4096 hidden / 256 out are 8E /
    /// E/2 at ViT-B/16's E = 512].</summary>
    public double HeadHiddenPerEmbed { get; init; } = 8.0;
    public double HeadOutPerEmbed { get; init; } = 0.5;
    /// <summary>Freeze the online encoder's patch embedding (conv1) [code: A-CLIP's ViT sets it untrainable; off by
    /// default: ours, not in the paper's text].</summary>
    public bool FreezePatchEmbedding { get; init; }

    public AClipSettings Validate()
    {
        void Need(bool ok, string what) => SettingsCheck.Need(ok, "A-CLIP", what);
        Need(Views is >= 1 and <= 8, $"views must be in [1, 8], got {Views}");
        Need(KeepRatio > 0 && KeepRatio <= 1, $"keep_ratio must be in (0, 1], got {KeepRatio}");
        Need(BlockSize >= 1, $"block_size must be ≥ 1, got {BlockSize}");
        Need(CropScaleMin > 0 && CropScaleMin <= CropScaleMax && CropScaleMax <= 1,
            $"crop scale must satisfy 0 < min ≤ max ≤ 1, got [{CropScaleMin}, {CropScaleMax}]");
        Need(CropRatioMin > 0 && CropRatioMin <= CropRatioMax && double.IsFinite(CropRatioMax),
            $"crop ratio must satisfy 0 < min ≤ max, got [{CropRatioMin}, {CropRatioMax}]");
        Need(MomentumBase is >= 0 and <= 1, $"momentum_base must be in [0, 1], got {MomentumBase}");
        Need(SimClrWeight >= 0 && double.IsFinite(SimClrWeight),
            $"sim_clr_weight must be a finite number ≥ 0, got {SimClrWeight}");
        Need(SimClrWeight == 0 || Views >= 2,
            $"SimCLR contrasts two views: sim_clr_weight {SimClrWeight} needs views ≥ 2, got {Views}");
        Need(SimClrTemperature > 0 && double.IsFinite(SimClrTemperature),
            $"sim_clr_temperature must be > 0, got {SimClrTemperature}");
        Need(ByolWeight >= 0 && double.IsFinite(ByolWeight),
            $"byol_weight must be a finite number ≥ 0, got {ByolWeight}");
        Need(HeadHiddenPerEmbed > 0 && HeadHiddenPerEmbed <= 64,
            $"head_hidden_per_embed must be in (0, 64], got {HeadHiddenPerEmbed}");
        Need(HeadOutPerEmbed > 0 && HeadOutPerEmbed <= 64,
            $"head_out_per_embed must be in (0, 64], got {HeadOutPerEmbed}");
        return this;
    }

    /// <summary>m(t) = 1 − (1 − m₀)·(cos(π·t/T) + 1)/2: m₀ at step 0, 1 at the end (DINO's cosine_scheduler, which
    /// A-CLIP uses).</summary>
    public double Momentum(int step, int totalSteps) =>
        totalSteps <= 0 ? 1.0
            : 1 - (1 - MomentumBase) * (Math.Cos(Math.PI * Math.Clamp((double)step / totalSteps, 0, 1)) + 1) / 2;
}
