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
    /// <summary>The model's tokenizer: "gpt2" or "clip:PATH" (<see cref="global::PowerClip.Data.TokenizerSpec"/>); its
    /// vocabulary
    /// must be the model's text_cfg.vocab_size.</summary>
    public string Tokenizer { get; init; } = global::PowerClip.Data.TokenizerSpec.Gpt2Name;
    /// <summary>Objective: a base name of <see cref="Objectives.Catalogue"/> (clip, flip, filip, sparc,
    /// powerclip).</summary>
    public string Loss { get; init; } = "powerclip";
    /// <summary>Data: "world" (the synthetic world), "wds:PATTERN" (WebDataset shards), "csv:PATH" (CSV/TSV).</summary>
    public string Data { get; init; } = "world";
    /// <summary>Synthetic world: training samples (generated once, then reshuffled per epoch), its seed and split
    /// seed.</summary>
    public int WorldSamples { get; init; } = 4000;
    public int WorldSeed { get; init; } = 0;
    /// <summary>Local batch size (per optimizer micro-batch).</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>M, regions per image.</summary>
    public int Regions { get; init; } = 10;
    /// <summary>Region source: "boxes" (PowerCLIP-R) or "masks" (PowerCLIP-S: masks shipped with the data, padded with
    /// boxes).</summary>
    public string RegionSource { get; init; } = "masks";
    /// <summary>
    /// With "masks": "none" (default) stops at start when under 90 % of probed samples carry usable masks
    /// (<see cref="RegionSourceCheck"/>); "boxes" accepts random boxes for the samples without masks.
    /// </summary>
    public string RegionFallback { get; init; } = "none";
    /// <summary>[reconstructed] A patch is in a region when this share of its pixels is (the world's ¼).</summary>
    public double MaskCoverage { get; init; } = global::PowerClip.Data.ImageTransform.DefaultMaskCoverage;
    /// <summary>Training augmentation of images (light; masks follow its crop).</summary>
    public bool Augment { get; init; } = false;
    /// <summary>The objectives' settings (PowerCLIP's λ, δ, τ, ζ, readings and ablation switches), persisted as
    /// is.</summary>
    public ObjectiveSettings LossSettings { get; init; } = new();
    public TrainerOptions Optimizer { get; init; } = new();
    /// <summary>Data-loading threads (0: the number of cores).</summary>
    public int DataThreads { get; init; } = 0;
    /// <summary>Records in the streamed sources' shuffle buffer (WebDataset's usual size; 0 or 1: none).</summary>
    public int ShuffleBuffer { get; init; } = 1000;
    /// <summary>The encoders' blocks in fp32, or bf16 (Autocast: float32 masters, the head in float32).</summary>
    public Precision Precision { get; init; } = Precision.Fp32;
    /// <summary>Activation checkpointing of every transformer block of both towers (BlockCheckpoint).</summary>
    public bool GradCheckpointing { get; init; } = false;

    /// <summary>
    /// PowerCLIP's effective λ and δ on the paper's literal form (S̄ as written): under the region-mean scale λ/M
    /// and δ·M. Written into config.json for its readers and ignored on read; null for other objectives.
    /// </summary>
    public LiteralForm? PowerclipLiteralForm => Loss == "powerclip"
        ? LossSettings.PowerClip.LiteralFormAt(Regions) : null;

    public TrainConfig Validate()
    {
        if (Objectives.Find(Loss, "loss") is { Objective: var objective } && objective != Loss)
            throw new ArgumentException($"loss '{Loss}' is a variant of {objective}: a config stores the base " +
                "objective and the variant's settings as fields (TrainConfig.WithLoss)");
        global::PowerClip.Data.TokenizerSpec.Parse(Tokenizer);
        if (Data != "world" && !Data.StartsWith("wds:", StringComparison.Ordinal)
            && !Data.StartsWith("csv:", StringComparison.Ordinal))
            throw new ArgumentException($"data '{Data}' is not valid: expected world, wds:SHARD_PATTERN or csv:PATH");
        if (BatchSize < 2) throw new ArgumentException($"batch size must be >= 2 (contrastive losses need " +
            $"negatives), got {BatchSize}");
        if (Regions < 1) throw new ArgumentException($"regions (M) must be >= 1, got {Regions}");
        if (RegionSource is not ("boxes" or "masks")) throw new ArgumentException(
            $"region source '{RegionSource}' is not valid: expected boxes or masks");
        if (RegionFallback is not ("none" or "boxes"))
            throw new ArgumentException($"region fallback '{RegionFallback}' is not valid: expected none or boxes");
        if (MaskCoverage is not (> 0 and <= 1))
            throw new ArgumentException($"mask coverage must lie in (0, 1], got {MaskCoverage}");
        if (WorldSamples < BatchSize) throw new ArgumentException(
            $"world samples ({WorldSamples}) must be at least the batch size ({BatchSize})");
        if (DataThreads < 0) throw new ArgumentException($"data threads must be >= 0, got {DataThreads}");
        if (ShuffleBuffer < 0)
            throw new ArgumentException($"shuffle buffer must be >= 0 (0: none), got {ShuffleBuffer}");
        Optimizer.Validate();
        LossSettings.Validate();
        return this;
    }

    /// <summary>
    /// This config training the objective a catalogue name stands for: the base objective, with the settings the
    /// name implies (an ablation switches its part off) applied to this config's settings.
    /// </summary>
    public TrainConfig WithLoss(string name)
    {
        var entry = Objectives.Find(name, "loss");
        return this with { Loss = entry.Objective, LossSettings = entry.Configure(LossSettings) };
    }

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
            var config = JsonSerializer.Deserialize<TrainConfig>(File.ReadAllText(path), Json)
                ?? throw new ArgumentException("empty");
            return config.WithLoss(config.Loss).Validate();
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new ArgumentException($"config {path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The paper's recipe (docs/method.md §7) for users with GPUs: ViT-B/16, AdamW β 0.9/0.98, wd 0.2, lr 1e-3,
    /// 10k warm-up, cosine, M = 10, λ = 0.2, τ = 1e-3, ζ = 0.75, local batch 512 (8 GPUs × 512 = 4096 global),
    /// 32 epochs of CC12M (~11M pairs) = 32 × 11M / 4096 ≈ 86k steps. Data must point at CC12M shards; the
    /// tokenizer is CLIP's (<paramref name="tokenizer"/> = "clip:PATH" to bpe_simple_vocab_16e6.txt.gz). The objective
    /// is the paper's as written: S̄ = NLA-T1 + NLA-T2 not scaled (<see cref="ScoreScale.Sum"/>) with λ = 0.2 and
    /// δ = 0.2 [reconstructed: the paper gives no δ]; the trainer's default region-mean scale is our reconstruction,
    /// which at M = 10 is λ = 0.02, δ = 2 on this form (docs/demo.md compares the two at the demo's scale).
    /// </summary>
    public static TrainConfig PaperRecipe(string shards, string tokenizer) => new()
    {
        Model = "vit-b-16",
        Tokenizer = tokenizer,
        Loss = "powerclip",
        Data = "wds:" + shards,
        BatchSize = 512,
        Regions = 10,
        RegionSource = "masks",
        Augment = true,
        LossSettings = new ObjectiveSettings
        {
            PowerClip = new PowerClipLossConfig { Lambda = 0.2, Delta = 0.2, Scale = ScoreScale.Sum },
        },
        Optimizer = new TrainerOptions
        {
            Steps = 86_000, Lr = 1e-3, WarmupSteps = 10_000, Beta1 = 0.9, Beta2 = 0.98, Eps = 1e-6, WeightDecay = 0.2,
            GradClip = 0, CheckpointEvery = 2000, LogEvery = 10,
        },
    };
}
