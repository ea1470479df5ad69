using System.CommandLine;
using PowerClip.Data;
using PowerClip.Model;
using PowerClip.Train.Training;

using PowerClip.Train;

namespace PowerClip.Cli.Commands;

/// <summary>
/// The `powerclip train` options that shape a <see cref="TrainConfig"/>: each overrides the config file
/// (or the defaults) only when given on the command line. Help texts show the defaults of the config records
/// themselves, so they cannot drift from what a run uses.
/// </summary>
public sealed class TrainOptions
{
    private static readonly TrainConfig Run = new();
    private static readonly TrainerOptions Opt = new();
    private static readonly PowerClipLossConfig Pc = new();

    public Option<string?> Config { get; } = new("--config") {
        Description = "A config JSON (e.g. a run's config.json); options given here override it" };
    public Option<string?> Recipe { get; } = new("--recipe") {
        Description = "paper: the paper's CC12M/ViT-B/16 recipe (needs --data wds:SHARDS and GPUs)" };
    public Option<string?> Model { get; } = new("--model") {
        Description = $"Model preset (tiny, small, demo, vit-b-16) or a JSON file (default {Run.Model})" };
    public Option<string?> Tokenizer { get; } = new("--tokenizer")
    {
        Description = $"gpt2 (tiny, small, demo) or clip:PATH to CLIP's bpe_simple_vocab_16e6.txt.gz (vit-b-16, " +
            $"--recipe paper) (default {Run.Tokenizer})",
    };
    public Option<string?> Loss { get; } = new("--loss")
    {
        Description = $"Objective (default {Run.Loss}): " + string.Join(", ",
            Objectives.Catalogue.Select(e => $"{e.Name} ({e.Description})")),
    };
    public Option<string?> Data { get; } = new("--data") {
        Description = $"world (synthetic), wds:SHARD_PATTERN or csv:PATH (default {Run.Data})" };
    public Option<int?> WorldSamples { get; } = new("--world-samples") {
        Description = $"Synthetic training samples (default {Run.WorldSamples})" };
    public Option<int?> BatchSize { get; } = new("--batch-size") {
        Description = $"Local batch size (default {Run.BatchSize})" };
    public Option<int?> Regions { get; } = new("--regions") {
        Description = $"M, regions per image (default {Run.Regions})" };
    public Option<string?> RegionSource { get; } = new("--region-source") {
        Description = $"masks (PowerCLIP-S) or boxes (PowerCLIP-R) (default {Run.RegionSource})" };
    public Option<string?> RegionFallback { get; } = new("--region-fallback")
    {
        Description = $"none (with masks, stop when under 90% of probed samples have them) or boxes (accept random " +
            $"boxes for them) (default {Run.RegionFallback})",
    };
    public Option<double?> MaskCoverage { get; } = new("--mask-coverage")
        { Description = $"Share of a patch's pixels a mask must cover to hold the patch (default " +
            $"{Run.MaskCoverage:g}, reconstructed)" };
    public Option<bool?> Augment { get; } = new("--augment") { Description = "Light training augmentation" };
    public Option<int?> Steps { get; } = new("--steps") { Description = $"Optimizer steps (default {Opt.Steps})" };
    public Option<double?> Lr { get; } = new("--lr") { Description = $"Peak learning rate (default {Opt.Lr:g})" };
    public Option<int?> Warmup { get; } = new("--warmup") {
        Description = $"Linear warm-up steps (default {Opt.WarmupSteps})" };
    public Option<double?> WeightDecay { get; } = new("--wd") {
        Description = $"AdamW weight decay (default {Opt.WeightDecay:g})" };
    public Option<double?> Beta1 { get; } = new("--beta1") { Description = $"AdamW β1 (default {Opt.Beta1:g})" };
    public Option<double?> Beta2 { get; } = new("--beta2") { Description = $"AdamW β2 (default {Opt.Beta2:g})" };
    public Option<double?> Eps { get; } = new("--eps") { Description = $"AdamW ε (default {Opt.Eps:g})" };
    public Option<double?> GradClip { get; } = new("--grad-clip") {
        Description = $"Global gradient-norm clip, 0 disables (default {Opt.GradClip:g})" };
    public Option<int?> Accumulate { get; } = new("--accumulate") {
        Description = $"Gradient accumulation steps (default {Opt.AccumulationSteps})" };
    public Option<int?> Seed { get; } = new("--seed") { Description = $"Seed of weights, data order, regions " +
        $"(default {Opt.Seed})" };
    public Option<int?> CheckpointEvery { get; } = new("--checkpoint-every") {
        Description = $"Steps between checkpoints (default {Opt.CheckpointEvery})" };
    public Option<int?> MaxNonFiniteSkips { get; } = new("--max-nonfinite-skips")
    {
        Description = "Consecutive steps with a NaN/infinite gradient norm (each skipped) that stop the run " +
                      $"(default {Opt.MaxNonFiniteSkips})",
    };
    public Option<double?> Lambda { get; } = new("--lambda") {
        Description = $"λ, weight of the PowerCLIP triplet term (default {Pc.Lambda:g})" };
    public Option<double?> Delta { get; } = new("--delta") {
        Description = $"δ, triplet margin (default {Pc.Delta:g}, reconstructed)" };
    public Option<double?> Tau { get; } = new("--tau") { Description = $"τ, NLA temperature (default {Pc.Tau:g})" };
    public Option<double?> Zeta { get; } = new("--zeta") {
        Description = $"ζ, NLA-T2 interpolation (default {Pc.Zeta:g})" };
    public Option<string?> ZetaReading { get; } = Choice("--zeta-reading", LossSettingNames.ZetaReading, Pc.Reading,
        "which term ζ weights: lower (the lower bound), logcosh (the log cosh term) or linear (ζ·U + (1 − ζ)·L)");
    public Option<string?> ScoreScale { get; } = Choice("--score-scale", LossSettingNames.ScoreScale, Pc.Scale,
        "region-mean (S̄ divided by M, reconstructed) or sum (S̄ as written)");
    public Option<string?> T2R { get; } = Choice("--t2r", LossSettingNames.T2R, Pc.T2R,
        "T2R: nla (NLA-T1, the paper's) or exact-relu (exact T2R in O(M), ours)");
    public Option<string?> R2T { get; } = new("--r2t")
    {
        Description = $"R2T: nla-t2 (the paper's) or monte-carlo:K (K seeded random subsets, ours) (default " +
            $"{LossSettingNames.NameOfR2T(Pc.R2T, Pc.MonteCarloSamples)})",
    };
    public Option<string?> R2TSubsets { get; } = Choice("--r2t-subsets", LossSettingNames.R2TSubsets, Pc.R2TSubsets,
        "which subsets R2T averages: all (2^M, as the paper writes) or non-empty");

    public Option<string?> Negatives { get; } = Choice("--negatives", LossSettingNames.Negatives,
        Run.LossSettings.Negatives,
        "with --distributed mpi: local (each rank scores its own rows against the global batch, open_clip's " +
        "local_loss; the head's cost per rank falls as 1/K) or global (every rank the whole head); both exact, " +
        "irrelevant in one process");

    public Option<string?> Precision { get; } = Choice("--precision", Autocast.Names, Run.Precision,
        "the transformer blocks' matmuls in fp32, or bf16 with float32 master weights (the loss head stays float32)");
    public Option<bool?> GradCheckpointing { get; } = new("--grad-checkpointing")
    {
        Description = "Activation checkpointing of every transformer block (keeps block inputs, recomputes them)",
    };

    public IEnumerable<Option> All =>
    [
        Config, Recipe, Model, Tokenizer, Loss, Data, WorldSamples, BatchSize, Regions, RegionSource, RegionFallback,
            MaskCoverage, Augment, Steps, Lr, Warmup,
        WeightDecay, Beta1, Beta2, Eps, GradClip, Accumulate, Seed, CheckpointEvery, Lambda, Delta, Tau, Zeta,
            ZetaReading,
        ScoreScale, T2R, R2T, R2TSubsets, MaxNonFiniteSkips, Negatives, Precision, GradCheckpointing,
    ];

    /// <summary>Names of the config-shaping options given on the command line.</summary>
    public IReadOnlyList<string> Given(ParseResult r) =>
        All.Where(o => r.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToArray();

    public TrainConfig Build(ParseResult r)
    {
        try
        {
            return Apply(r).Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private TrainConfig Apply(ParseResult r)
    {
        var c = r.GetValue(Config) is { } path ? TrainConfig.Load(path) : new TrainConfig();
        if (r.GetValue(Recipe) is { } recipe)
        {
            if (recipe != "paper") throw new UsageException($"--recipe '{recipe}' is not known: expected paper");
            var data = r.GetValue(Data) ?? throw new UsageException(
                "--recipe paper needs --data wds:SHARD_PATTERN (CC12M shards)");
            var tokenizer = r.GetValue(Tokenizer) ?? throw new UsageException(
                $"--recipe paper uses CLIP's tokenizer: pass --tokenizer clip:PATH to {ClipVocabulary.FileName} " +
                    $"({ClipVocabulary.Provenance})");
            c = TrainConfig.PaperRecipe(data.StartsWith("wds:", StringComparison.Ordinal) ? data[4..] : data,
                TokenizerName(tokenizer));
        }
        var o = c.Optimizer;
        o = o with
        {
            Steps = r.GetValue(Steps) ?? o.Steps, Lr = r.GetValue(Lr) ?? o.Lr, WarmupSteps = r.GetValue(Warmup)
                ?? o.WarmupSteps,
            WeightDecay = r.GetValue(WeightDecay) ?? o.WeightDecay, Beta1 = r.GetValue(Beta1) ?? o.Beta1,
                Beta2 = r.GetValue(Beta2) ?? o.Beta2,
            Eps = r.GetValue(Eps) ?? o.Eps, GradClip = r.GetValue(GradClip) ?? o.GradClip,
                AccumulationSteps = r.GetValue(Accumulate) ?? o.AccumulationSteps,
            Seed = r.GetValue(Seed) ?? o.Seed, CheckpointEvery = r.GetValue(CheckpointEvery) ?? o.CheckpointEvery,
            MaxNonFiniteSkips = r.GetValue(MaxNonFiniteSkips) ?? o.MaxNonFiniteSkips,
        };
        var p = c.LossSettings.PowerClip;
        p = p with
        {
            Lambda = r.GetValue(Lambda) ?? p.Lambda, Delta = r.GetValue(Delta) ?? p.Delta, Tau = r.GetValue(Tau)
                ?? p.Tau,
            Zeta = r.GetValue(Zeta) ?? p.Zeta,
            Reading = r.GetValue(ZetaReading) is { } reading ? LossSettingNames.ZetaReading.Parse(reading,
                ZetaReading.Name) : p.Reading,
            Scale = r.GetValue(ScoreScale) is { } scale ? LossSettingNames.ScoreScale.Parse(scale,
                ScoreScale.Name) : p.Scale,
            T2R = r.GetValue(T2R) is { } t2r ? LossSettingNames.T2R.Parse(t2r, T2R.Name) : p.T2R,
            R2TSubsets = r.GetValue(R2TSubsets) is { } subsets
                ? LossSettingNames.R2TSubsets.Parse(subsets, R2TSubsets.Name) : p.R2TSubsets,
        };
        if (r.GetValue(R2T) is { } r2t)
        {
            var (method, samples) = LossSettingNames.ParseR2T(r2t, R2T.Name);
            p = p with { R2T = method, MonteCarloSamples = samples ?? p.MonteCarloSamples };
        }
        c = c with
        {
            Model = r.GetValue(Model) ?? c.Model, Tokenizer = r.GetValue(Tokenizer) is { } t
                ? TokenizerName(t) : c.Tokenizer,
            Data = r.GetValue(Data) is { } d && r.GetValue(Recipe) is null ? d : c.Data,
            WorldSamples = r.GetValue(WorldSamples) ?? c.WorldSamples, BatchSize = r.GetValue(BatchSize) ?? c.BatchSize,
            Regions = r.GetValue(Regions) ?? c.Regions, RegionSource = r.GetValue(RegionSource) ?? c.RegionSource,
            RegionFallback = r.GetValue(RegionFallback) ?? c.RegionFallback,
            MaskCoverage = r.GetValue(MaskCoverage) ?? c.MaskCoverage,
            Augment = r.GetValue(Augment) ?? c.Augment, Optimizer = o,
            Precision = r.GetValue(Precision) is { } precision
                ? Autocast.Names.Parse(precision, Precision.Name) : c.Precision,
            GradCheckpointing = r.GetValue(GradCheckpointing) ?? c.GradCheckpointing,
            LossSettings = c.LossSettings with
            {
                PowerClip = p,
                Negatives = r.GetValue(Negatives) is { } n
                    ? LossSettingNames.Negatives.Parse(n, Negatives.Name) : c.LossSettings.Negatives,
            },
        };
        return r.GetValue(Loss) is { } loss ? c.WithLoss(loss) : c;
    }

    /// <summary>A --tokenizer value as the run records it (a CLIP file's full path).</summary>
    private static string TokenizerName(string value)
    {
        try { return TokenizerSpec.Parse(value).ToString(); }
        catch (ArgumentException e) { throw new UsageException("--tokenizer: " + e.Message); }
    }

    /// <summary>An option whose values are a setting's names, with the setting's default in its help.</summary>
    private static Option<string?> Choice<T>(string name, SettingNames<T> names, T defaultValue,
        string what) where T : struct, Enum =>
        new(name) { Description = $"{char.ToUpperInvariant(what[0])}{what[1..]} (default " +
            $"{names.NameOf(defaultValue)})" };
}
