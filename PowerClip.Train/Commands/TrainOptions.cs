using System.CommandLine;
using PowerClip.Data;
using PowerClip.Train.Training;

namespace PowerClip.Train.Commands;

/// <summary>
/// The `powerclip train` options that shape a <see cref="TrainConfig"/>: each overrides the config file
/// (or the defaults) only when given on the command line.
/// </summary>
public sealed class TrainOptions
{
    public Option<string?> Config { get; } = new("--config") { Description = "A config JSON (e.g. a run's config.json); options given here override it" };
    public Option<string?> Recipe { get; } = new("--recipe") { Description = "paper: the paper's CC12M/ViT-B/16 recipe (needs --data wds:SHARDS and GPUs)" };
    public Option<string?> Model { get; } = new("--model") { Description = "Model preset (tiny, small, vit-b-16) or a JSON file" };
    public Option<string?> Tokenizer { get; } = new("--tokenizer")
    {
        Description = "gpt2 (default; tiny, small, demo) or clip:PATH to CLIP's bpe_simple_vocab_16e6.txt.gz (vit-b-16, --recipe paper)",
    };
    public Option<string?> Loss { get; } = new("--loss") { Description = "Objective: " + string.Join(", ", TrainConfig.LossNames) };
    public Option<string?> Data { get; } = new("--data") { Description = "world (synthetic), wds:SHARD_PATTERN or csv:PATH" };
    public Option<int?> WorldSamples { get; } = new("--world-samples") { Description = "Synthetic training samples (default 4000)" };
    public Option<int?> BatchSize { get; } = new("--batch-size") { Description = "Local batch size (default 32)" };
    public Option<int?> Regions { get; } = new("--regions") { Description = "M, regions per image (default 10)" };
    public Option<string?> RegionSource { get; } = new("--region-source") { Description = "masks (PowerCLIP-S, default) or boxes (PowerCLIP-R)" };
    public Option<bool?> Augment { get; } = new("--augment") { Description = "Light training augmentation" };
    public Option<int?> Steps { get; } = new("--steps") { Description = "Optimizer steps (default 1000)" };
    public Option<double?> Lr { get; } = new("--lr") { Description = "Peak learning rate (default 1e-3)" };
    public Option<int?> Warmup { get; } = new("--warmup") { Description = "Linear warm-up steps (default 100)" };
    public Option<double?> WeightDecay { get; } = new("--wd") { Description = "AdamW weight decay (default 0.2)" };
    public Option<double?> Beta1 { get; } = new("--beta1") { Description = "AdamW β1 (default 0.9)" };
    public Option<double?> Beta2 { get; } = new("--beta2") { Description = "AdamW β2 (default 0.98)" };
    public Option<double?> Eps { get; } = new("--eps") { Description = "AdamW ε (default 1e-6)" };
    public Option<double?> GradClip { get; } = new("--grad-clip") { Description = "Global gradient-norm clip, 0 disables (default 1)" };
    public Option<int?> Accumulate { get; } = new("--accumulate") { Description = "Gradient accumulation steps (default 1)" };
    public Option<int?> Seed { get; } = new("--seed") { Description = "Seed of weights, data order, regions (default 0)" };
    public Option<int?> CheckpointEvery { get; } = new("--checkpoint-every") { Description = "Steps between checkpoints (default 100)" };
    public Option<double?> Lambda { get; } = new("--lambda") { Description = "λ, weight of the PowerCLIP triplet term (default 0.2)" };
    public Option<double?> Delta { get; } = new("--delta") { Description = "δ, triplet margin (default 0.2, reconstructed)" };
    public Option<double?> Tau { get; } = new("--tau") { Description = "τ, NLA temperature (default 1e-3)" };
    public Option<double?> Zeta { get; } = new("--zeta") { Description = "ζ, NLA-T2 interpolation (default 0.75)" };
    public Option<string?> ZetaReading { get; } = new("--zeta-reading") { Description = "lower (ζ weights the lower bound, default) or logcosh" };
    public Option<string?> ScoreScale { get; } = new("--score-scale") { Description = "region-mean (S̄ divided by M; default, reconstructed) or sum (S̄ as written)" };

    public IEnumerable<Option> All =>
    [
        Config, Recipe, Model, Tokenizer, Loss, Data, WorldSamples, BatchSize, Regions, RegionSource, Augment, Steps, Lr, Warmup,
        WeightDecay, Beta1, Beta2, Eps, GradClip, Accumulate, Seed, CheckpointEvery, Lambda, Delta, Tau, Zeta, ZetaReading,
        ScoreScale,
    ];

    /// <summary>Names of the config-shaping options given on the command line.</summary>
    public IReadOnlyList<string> Given(ParseResult r) =>
        All.Where(o => r.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToArray();

    public TrainConfig Build(ParseResult r)
    {
        TrainConfig c;
        try { c = r.GetValue(Config) is { } path ? TrainConfig.Load(path) : new TrainConfig(); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        if (r.GetValue(Recipe) is { } recipe)
        {
            if (recipe != "paper") throw new UsageException($"--recipe '{recipe}' is not known: expected paper");
            var data = r.GetValue(Data) ?? throw new UsageException("--recipe paper needs --data wds:SHARD_PATTERN (CC12M shards)");
            var tokenizer = r.GetValue(Tokenizer) ?? throw new UsageException(
                $"--recipe paper uses CLIP's tokenizer: pass --tokenizer clip:PATH to {ClipVocabulary.FileName} ({ClipVocabulary.Provenance})");
            c = TrainConfig.PaperRecipe(data.StartsWith("wds:", StringComparison.Ordinal) ? data[4..] : data, Spec(tokenizer));
        }
        var o = c.Optimizer;
        o = o with
        {
            Steps = r.GetValue(Steps) ?? o.Steps, Lr = r.GetValue(Lr) ?? o.Lr, WarmupSteps = r.GetValue(Warmup) ?? o.WarmupSteps,
            WeightDecay = r.GetValue(WeightDecay) ?? o.WeightDecay, Beta1 = r.GetValue(Beta1) ?? o.Beta1, Beta2 = r.GetValue(Beta2) ?? o.Beta2,
            Eps = r.GetValue(Eps) ?? o.Eps, GradClip = r.GetValue(GradClip) ?? o.GradClip, AccumulationSteps = r.GetValue(Accumulate) ?? o.AccumulationSteps,
            Seed = r.GetValue(Seed) ?? o.Seed, CheckpointEvery = r.GetValue(CheckpointEvery) ?? o.CheckpointEvery,
        };
        var p = c.PowerClip;
        p = p with
        {
            Lambda = r.GetValue(Lambda) ?? p.Lambda, Delta = r.GetValue(Delta) ?? p.Delta, Tau = r.GetValue(Tau) ?? p.Tau,
            Zeta = r.GetValue(Zeta) ?? p.Zeta,
            ZetaReading = r.GetValue(ZetaReading) switch
            {
                null => p.ZetaReading,
                "lower" => global::PowerClip.Model.ZetaReading.ZetaWeightsLower,
                "logcosh" => global::PowerClip.Model.ZetaReading.ZetaWeightsLogCosh,
                var other => throw new UsageException($"--zeta-reading '{other}' is not valid: expected lower or logcosh"),
            },
            ScoreScale = r.GetValue(ScoreScale) switch
            {
                null => p.ScoreScale,
                "region-mean" => global::PowerClip.Model.ScoreScale.RegionMean,
                "sum" => global::PowerClip.Model.ScoreScale.Sum,
                var other => throw new UsageException($"--score-scale '{other}' is not valid: expected region-mean or sum"),
            },
        };
        c = c with
        {
            Model = r.GetValue(Model) ?? c.Model, Tokenizer = r.GetValue(Tokenizer) is { } t ? Spec(t) : c.Tokenizer, Loss = r.GetValue(Loss) ?? c.Loss, Data = r.GetValue(Data) is { } d && r.GetValue(Recipe) is null ? d : c.Data,
            WorldSamples = r.GetValue(WorldSamples) ?? c.WorldSamples, BatchSize = r.GetValue(BatchSize) ?? c.BatchSize,
            Regions = r.GetValue(Regions) ?? c.Regions, RegionSource = r.GetValue(RegionSource) ?? c.RegionSource,
            Augment = r.GetValue(Augment) ?? c.Augment, Optimizer = o, PowerClip = p,
        };
        try { return c.Validate(); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
    }

    /// <summary>A --tokenizer value as the run records it (a CLIP file's full path).</summary>
    private static string Spec(string value)
    {
        try { return TokenizerSpec.Parse(value).ToString(); }
        catch (ArgumentException e) { throw new UsageException("--tokenizer: " + e.Message); }
    }
}
