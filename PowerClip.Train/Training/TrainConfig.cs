using System.Text.Json;
using System.Text.Json.Serialization;
using PowerClip.Model;

namespace PowerClip.Train.Training;

/// <summary>
/// Everything a training run depends on, saved as the run folder's config.json (the resolved
/// configuration) so that a run can be resumed or repeated from it alone.
/// </summary>
public sealed record TrainConfig
{
    /// <summary>Model preset name (tiny, small, vit-b-16) or a JSON config file.</summary>
    public string Model { get; init; } = "tiny";
    /// <summary>Objective: see <see cref="LossNames"/>.</summary>
    public string Loss { get; init; } = "powerclip";
    /// <summary>Data: "world" (the synthetic world), "wds:PATTERN" (WebDataset shards), "csv:PATH" (CSV/TSV).</summary>
    public string Data { get; init; } = "world";
    /// <summary>Synthetic world: training samples (generated once, then reshuffled per epoch), its seed and split seed.</summary>
    public int WorldSamples { get; init; } = 4000;
    public int WorldSeed { get; init; } = 0;
    /// <summary>Local batch size (per optimizer micro-batch).</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>M, regions per image.</summary>
    public int Regions { get; init; } = 10;
    /// <summary>Region source: "boxes" (PowerCLIP-R) or "masks" (PowerCLIP-S: masks shipped with the data, padded with boxes).</summary>
    public string RegionSource { get; init; } = "masks";
    /// <summary>Training augmentation of images (light; never moves masks).</summary>
    public bool Augment { get; init; } = false;
    /// <summary>PowerCLIP loss settings (λ, δ, τ, ζ, ζ reading, ablation switches set by <see cref="Loss"/>).</summary>
    public PowerClipSettings PowerClip { get; init; } = new();
    /// <summary>The baselines' open settings (FLIP, SPARC, E-CLIP, CLIP-PGS, A-CLIP; defaults and sources:
    /// docs/baselines.md).</summary>
    public BaselineSettings Baselines { get; init; } = new();
    public TrainerOptions Optimizer { get; init; } = new();
    /// <summary>Data-loading threads (0: the number of cores).</summary>
    public int DataThreads { get; init; } = 0;

    /// <summary>The objectives and ablations `--loss` accepts.</summary>
    public static IReadOnlyList<string> LossNames { get; } =
    [
        "clip", "flip", "filip", "sparc", "e-clip", "clip-pgs", "a-clip", "powerclip", "powerclip-exact",
        "powerclip-no-subsets", "powerclip-no-tree", "powerclip-no-r2t", "powerclip-no-t2r", "powerclip-no-triplet",
    ];

    public TrainConfig Validate()
    {
        if (!LossNames.Contains(Loss)) throw new ArgumentException($"unknown loss '{Loss}': expected one of {string.Join(", ", LossNames)}");
        if (Data != "world" && !Data.StartsWith("wds:", StringComparison.Ordinal) && !Data.StartsWith("csv:", StringComparison.Ordinal))
            throw new ArgumentException($"data '{Data}' is not valid: expected world, wds:SHARD_PATTERN or csv:PATH");
        if (BatchSize < 2) throw new ArgumentException($"batch size must be >= 2 (contrastive losses need negatives), got {BatchSize}");
        if (Regions < 1) throw new ArgumentException($"regions (M) must be >= 1, got {Regions}");
        if (RegionSource is not ("boxes" or "masks")) throw new ArgumentException($"region source '{RegionSource}' is not valid: expected boxes or masks");
        if (WorldSamples < BatchSize) throw new ArgumentException($"world samples ({WorldSamples}) must be at least the batch size ({BatchSize})");
        if (DataThreads < 0) throw new ArgumentException($"data threads must be >= 0, got {DataThreads}");
        Optimizer.Validate();
        ObjectiveSettings().Validate();
        Baselines.Validate();
        return this;
    }

    /// <summary>The PowerCLIP loss config with the ablation that <see cref="Loss"/> names switched off.</summary>
    public PowerClipLossConfig ObjectiveSettings() => PowerClip.ToLossConfig() with
    {
        Aggregation = Loss == "powerclip-exact" ? PowersetAggregation.Exact : PowersetAggregation.Nla,
        UseSubsets = Loss != "powerclip-no-subsets",
        UseTree = Loss != "powerclip-no-tree",
        UseR2T = Loss != "powerclip-no-r2t",
        UseT2R = Loss != "powerclip-no-t2r",
        UseTriplet = Loss != "powerclip-no-triplet",
    };

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a config file; unknown keys and bad values are errors that name the file.</summary>
    public static TrainConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"config file not found: {path}");
        try
        {
            return (JsonSerializer.Deserialize<TrainConfig>(File.ReadAllText(path), Json) ?? throw new ArgumentException("empty")).Validate();
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new ArgumentException($"config {path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The paper's recipe (method.md §5) for users with GPUs: ViT-B/16, AdamW β 0.9/0.98, wd 0.2, lr 1e-3,
    /// 10k warm-up, cosine, M = 10, λ = 0.2, τ = 1e-3, ζ = 0.75, local batch 512 (8 GPUs × 512 = 4096 global),
    /// 32 epochs of CC12M (~11M pairs) = 32 × 11M / 4096 ≈ 86k steps. Data must point at CC12M shards.
    /// </summary>
    public static TrainConfig PaperRecipe(string shards) => new()
    {
        Model = "vit-b-16",
        Loss = "powerclip",
        Data = "wds:" + shards,
        BatchSize = 512,
        Regions = 10,
        RegionSource = "masks",
        Augment = true,
        Optimizer = new TrainerOptions
        {
            Steps = 86_000, Lr = 1e-3, WarmupSteps = 10_000, Beta1 = 0.9, Beta2 = 0.98, Eps = 1e-6, WeightDecay = 0.2,
            GradClip = 0, CheckpointEvery = 2000, LogEvery = 10,
        },
    };
}

/// <summary>λ, δ, τ, ζ, the ζ reading and the score scale of the PowerCLIP loss (defaults and their provenance: <see cref="PowerClipLossConfig"/>).</summary>
public sealed record PowerClipSettings
{
    private static readonly PowerClipLossConfig Defaults = new();
    public double Lambda { get; init; } = Defaults.Lambda;
    public double Delta { get; init; } = Defaults.Delta;
    public double Tau { get; init; } = Defaults.Tau;
    public double Zeta { get; init; } = Defaults.Zeta;
    public ZetaReading ZetaReading { get; init; } = Defaults.Reading;
    public ScoreScale ScoreScale { get; init; } = Defaults.Scale;

    public PowerClipLossConfig ToLossConfig() =>
        new() { Lambda = Lambda, Delta = Delta, Tau = Tau, Zeta = Zeta, Reading = ZetaReading, Scale = ScoreScale };
}
