using System.CommandLine;
using System.Globalization;
using PowerClip.Spec;

namespace PowerClip.Cli.Commands;

/// <summary>The `nla-accuracy` options of the ranking study (--study and the batch settings).</summary>
public sealed class NlaRankingOptions
{
    public Option<string> Study { get; } = new("--study")
    {
        Description = "pairs (per-pair r and MAE), ranking (within batches) or both", DefaultValueFactory = _ => "both",
    };
    public Option<int> Batches { get; } = new("--batches")
    {
        Description = "Ranking study: batches per input model", DefaultValueFactory = _ => 100,
    };
    public Option<int> BatchSize { get; } = new("--batch-size")
    {
        Description = "Ranking study: B, pairs per batch side (B x B scores)", DefaultValueFactory = _ => 16,
    };
    public Option<string> BatchInputs { get; } = new("--batch-inputs")
    {
        Description = "Ranking study: clip, adversarial or both", DefaultValueFactory = _ => "both",
    };
    public Option<int> AdversarialRegions { get; } = new("--adversarial-regions")
    {
        Description = "Ranking study: M of the adversarial batches", DefaultValueFactory = _ => 12,
    };
    public Option<string> McKs { get; } = new("--mc-ks")
    {
        Description = "Ranking study: comma-separated Monte Carlo subset counts K",
        DefaultValueFactory = _ => "8,32,128",
    };
    public Option<double> Delta { get; } = new("--delta")
    {
        Description = "Ranking study: triplet margin on S/M", DefaultValueFactory = _ => 0.2,
    };
    public Option<int> Bootstrap { get; } = new("--bootstrap")
    {
        Description = "Ranking study: bootstrap resamples of the batches", DefaultValueFactory = _ => 1000,
    };

    public IEnumerable<Option> All =>
        [Study, Batches, BatchSize, BatchInputs, AdversarialRegions, McKs, Delta, Bootstrap];

    /// <summary>pairs, ranking or both; anything else is a usage error.</summary>
    public string Which(ParseResult r) => r.GetValue(Study) is "pairs" or "ranking" or "both" ? r.GetValue(Study)!
        : throw new UsageException($"--study must be pairs, ranking or both, got '{r.GetValue(Study)}'");

    /// <summary>The options as the reproduce line prints them.</summary>
    public IEnumerable<string> Reproduce(ParseResult r) =>
    [
        $"--study {Which(r)}", $"--batches {r.GetValue(Batches)}", $"--batch-size {r.GetValue(BatchSize)}",
        $"--batch-inputs {r.GetValue(BatchInputs)}", $"--adversarial-regions {r.GetValue(AdversarialRegions)}",
        $"--mc-ks {r.GetValue(McKs)}", $"--delta {r.GetValue(Delta).ToString("R", CultureInfo.InvariantCulture)}",
        $"--bootstrap {r.GetValue(Bootstrap)}",
    ];

    /// <summary>One study per input model: CLIP-like batches with the per-pair study's M, adversarial ones with
    /// --adversarial-regions.</summary>
    public (string Inputs, RankingConfig Config)[] Studies(
        ParseResult r, double[] taus, double[] zetas, int regions, int seed)
    {
        var inputs = r.GetValue(BatchInputs) switch
        {
            "clip" => new[] { "clip" },
            "adversarial" => ["adversarial"],
            "both" => ["clip", "adversarial"],
            var b => throw new UsageException($"--batch-inputs must be clip, adversarial or both, got '{b}'"),
        };
        var ks = r.GetValue(McKs)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(k => int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n
                : throw new UsageException($"--mc-ks: '{k}' is not a count >= 1")).ToArray();
        return inputs.Select(name => (name, new RankingConfig(
            r.GetValue(Batches), r.GetValue(BatchSize), name == "clip" ? regions : r.GetValue(AdversarialRegions),
            taus, zetas,
            name == "clip" ? BatchModel.ClipLikeBatch : BatchModel.AdversarialBatch, ks, r.GetValue(Delta),
            r.GetValue(Bootstrap), seed))).ToArray();
    }
}
