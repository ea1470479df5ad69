using System.Globalization;
using System.Text.Json;
using PowerClip.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Performance;

/// <summary>What `powerclip bench` measures.</summary>
public sealed record StepTimerConfig(string Preset, IReadOnlyList<int> BatchSizes, int Regions, int Words, int Repeats,
    int Warmup, int Seed, long? ChunkElements = null)
{
    /// <summary>The objective under test, with the loss's chunk size when one is given.</summary>
    public IContrastiveObjective Objective(string name) =>
        Objectives.Create(name, ChunkElements is { } c ? new ObjectiveSettings {
            PowerClip = new() { ChunkElements = c } } : null);
}

/// <summary>Medians of one objective at one batch size; FLOP/s from the analytic count over the median step.</summary>
public sealed record StepTimerRow(string Preset, int Batch, string Objective, StepTiming Median, double Flops,
    double Loss)
{
    public double FlopsPerSecond => Flops / (Median.Total / 1000);
}

/// <summary>
/// CLIP against PowerCLIP, one training step each, alternated repeat by repeat on the same batch so that
/// both see the same machine load; per phase the median over repeats, and the median of the per-repeat
/// step ratios (the side-by-side price of the method).
/// </summary>
public static class StepTimer
{
    public static readonly string[] ObjectiveNames = ["clip", "powerclip"];

    public static (List<StepTimerRow> Rows, Dictionary<int, double> Ratios) Run(StepTimerConfig c, Device device,
        Action<string>? log = null)
    {
        var cfg = Presets.Load(c.Preset);
        var rows = new List<StepTimerRow>();
        var ratios = new Dictionary<int, double>();
        foreach (var batch in c.BatchSizes)
        {
            using var data = SyntheticBatch.Create(cfg, batch, c.Regions, c.Words, c.Seed, device);
            var steps = ObjectiveNames.Select(n => new SyntheticStep(cfg, c.Objective(n), c.Seed, device)).ToArray();
            try
            {
                for (var w = 0; w < c.Warmup; w++) foreach (var s in steps) s.Run(data);
                var timings = steps.Select(_ => new List<StepTiming>()).ToArray();
                for (var r = 0; r < c.Repeats; r++)
                    for (var k = 0; k < steps.Length; k++)
                        timings[k].Add(steps[k].Run(data));
                double leaves = c.Words, nodes = data.Phrases.NodeMask.to(ScalarType.Float32).sum().ToDouble() / batch;
                for (var k = 0; k < steps.Length; k++)
                {
                    var t = timings[k];
                    var median = new StepTiming(Median(t.Select(x => x.Forward)), Median(t.Select(x => x.Loss)),
                        Median(t.Select(x => x.Backward)),
                                                Median(t.Select(x => x.Optimizer)), t[^1].LossValue);
                    rows.Add(new StepTimerRow(c.Preset, batch, ObjectiveNames[k], median,
                        FlopCount.Step(cfg, batch, k == 1, c.Regions, leaves, nodes), t[^1].LossValue));
                }
                ratios[batch] = Median(timings[1].Zip(timings[0], (p, q) => p.Total / q.Total));
                log?.Invoke($"batch {batch}: done");
            }
            finally
            {
                foreach (var s in steps) s.Dispose();
            }
        }
        return (rows, ratios);
    }

    /// <summary>
    /// For the PyTorch peer: the initial open_clip-named weights, the batch (images, tokens, masks, the phrase
    /// tensors) and the config, plus both objectives' losses on them, in <paramref name="dir"/>.
    /// </summary>
    public static void Export(StepTimerConfig c, int batch, Device device, string dir)
    {
        Directory.CreateDirectory(dir);
        var cfg = Presets.Load(c.Preset);
        using var data = SyntheticBatch.Create(cfg, batch, c.Regions, c.Words, c.Seed, device);
        var losses = new Dictionary<string, double>();
        foreach (var name in ObjectiveNames)
        {
            using var step = new SyntheticStep(cfg, c.Objective(name), c.Seed, device);
            losses[name] = step.LossValue(data);
            if (name == "powerclip") Checkpoint.Save(step.Model, Path.Combine(dir, "model.safetensors"));
        }
        Safetensors.Save(Path.Combine(dir, "inputs.safetensors"), new Dictionary<string, Tensor>
        {
            ["images"] = data.Images, ["tokens"] = data.Tokens, ["masks"] = data.Masks,
            ["leaf_tokens"] = data.Phrases.LeafTokens, ["leaf_mask"] = data.Phrases.LeafMask.to(ScalarType.Float32),
            ["membership"] = data.Phrases.Membership, ["node_mask"] = data.Phrases.NodeMask.to(ScalarType.Float32),
        });
        var loss = new PowerClipLossConfig();
        var meta = new Dictionary<string, object>
        {
            ["preset"] = c.Preset, ["batch"] = batch, ["regions"] = c.Regions, ["words"] = c.Words,
            ["embed_dim"] = cfg.EmbedDim,
            ["vision"] = new { cfg.Vision.ImageSize, cfg.Vision.PatchSize, cfg.Vision.Width, cfg.Vision.Layers,
                cfg.Vision.Heads, cfg.Vision.MlpRatio },
            ["text"] = new { cfg.Text.ContextLength, cfg.Text.VocabSize, cfg.Text.Width, cfg.Text.Layers,
                cfg.Text.Heads, cfg.Text.MlpRatio, cfg.Text.EndId },
            ["max_logit_scale"] = cfg.MaxLogitScale,
            ["loss"] = new { loss.Lambda, loss.Delta, loss.Tau, loss.LogCoshWeight,
                ScoreDivisor = loss.ScoreDivisor(c.Regions) },
            ["losses"] = losses,
        };
        File.WriteAllText(Path.Combine(dir, "bench.json"), JsonSerializer.Serialize(meta,
            new JsonSerializerOptions { WriteIndented = true }));
    }

    public static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        if (v.Length == 0) throw new ArgumentException("median of no values");
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    public static string F(double x, int digits = 1) => x.ToString("F" + digits, CultureInfo.InvariantCulture);
}
