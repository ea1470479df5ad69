using System.Diagnostics;
using PowerClip.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Bench;

/// <summary>One seeded synthetic batch: random images, captions of <c>Words</c> one-token words with random phrase trees, M random boxes.</summary>
public sealed record SyntheticBatch(Tensor Images, Tensor Tokens, Tensor Masks, PhraseBatch Phrases) : IDisposable
{
    public static SyntheticBatch Create(ClipConfig cfg, int batch, int regions, int words, int seed, Device device)
    {
        var ctx = cfg.Text.ContextLength;
        if (words < 1 || words + 2 > ctx) throw new ArgumentException($"{words} words do not fit the text context {ctx} (need 1 ≤ words ≤ context − 2)");
        var r = new Random(seed);
        var tokens = new long[batch * ctx];
        // [start, words…, end, 0…] as the tokenizers write it; the start token is the largest id that is not the end.
        long end = cfg.Text.EndId, start = end == cfg.Text.VocabSize - 1 ? end - 1 : cfg.Text.VocabSize - 1;
        for (var b = 0; b < batch; b++)
            for (var k = 0; k < ctx; k++)
                tokens[b * ctx + k] = k == 0 ? start : k <= words ? Word(r.Next(1, Math.Min(49000, cfg.Text.VocabSize - 2)), end) : k == words + 1 ? end : 0;
        var trees = Enumerable.Range(0, batch).Select(_ => new CaptionTree(
            Enumerable.Range(0, words).Select(l => (1 + l, 2 + l)).ToArray(), RandomNodes(r, words))).ToArray();
        var gen = new Generator((ulong)seed);
        var images = torch.randn([batch, 3, cfg.Vision.ImageSize, cfg.Vision.ImageSize], generator: gen).to(device);
        var masks = new RandomBoxSampler(cfg.Vision.GridSize, seed).Sample(batch, regions, device: device);
        return new SyntheticBatch(images, torch.tensor(tokens, [batch, ctx], device: device), masks, PhraseBatch.Build(trees, ctx, device: device));
    }

    private static long Word(int id, long end) => id == end ? 1 : id;

    /// <summary>A binary-bracketing-sized tree: the root plus words − 2 random contiguous phrases (≈ the node count of a constituency parse).</summary>
    private static int[][] RandomNodes(Random r, int words)
    {
        var nodes = new List<int[]> { Enumerable.Range(0, words).ToArray() };
        for (var k = 0; k < words - 2 && words >= 3; k++)
        {
            var len = r.Next(2, words);
            var start = r.Next(0, words - len + 1);
            nodes.Add(Enumerable.Range(start, len).ToArray());
        }
        return nodes.DistinctBy(n => string.Join(",", n)).ToArray();
    }

    public void Dispose()
    {
        Images.Dispose(); Tokens.Dispose(); Masks.Dispose(); Phrases.Dispose();
    }
}

/// <summary>Wall time of each phase of one training step, in milliseconds (for medians: Total is the sum of the phase medians).</summary>
public sealed record StepTiming(double Forward, double Loss, double Backward, double Optimizer, double LossValue)
{
    public double Total => Forward + Loss + Backward + Optimizer;
}

/// <summary>
/// The step the trainer runs (Trainer.Run + ClipTrainable.Loss): zero_grad, forward, objective, backward,
/// AdamW step, logit-scale clamp — with the model, optimizer and batch fixed so that only compute is timed
/// (data collation is excluded). Phases are separated by a device synchronisation on CUDA.
/// </summary>
public sealed class SyntheticStep : IDisposable
{
    private readonly ClipModel _model;
    private readonly IContrastiveObjective _objective;
    private readonly optim.Optimizer _optimizer;
    private readonly Device _device;

    public SyntheticStep(ClipConfig cfg, IContrastiveObjective objective, int seed, Device device)
    {
        torch.manual_seed(seed);
        _model = new ClipModel(cfg);
        _model.to(device);
        _objective = objective;
        _device = device;
        // The trainer's AdamW settings (paper: β = 0.9/0.98, wd 0.2); one group suffices for timing.
        _optimizer = optim.AdamW(_model.parameters(), 1e-4, 0.9, 0.98, 1e-6, 0.2);
    }

    public ClipModel Model => _model;

    public StepTiming Run(SyntheticBatch batch)
    {
        using var scope = torch.NewDisposeScope();
        var clock = Stopwatch.StartNew();
        double Lap() { Sync(); var t = clock.Elapsed.TotalMilliseconds; clock.Restart(); return t; }
        _optimizer.zero_grad();
        var outputs = _model.Forward(batch.Images, batch.Tokens, _objective.PatchKeepRatio);
        var forward = Lap();
        var loss = _objective.Compute(new ObjectiveInputs(outputs, _objective.NeedsRegions ? batch.Masks : null, _objective.NeedsPhrases ? batch.Phrases : null));
        var lossMs = Lap();
        loss.Total.backward();
        var backward = Lap();
        _optimizer.step();
        _model.ClampLogitScale();
        var opt = Lap();
        return new StepTiming(forward, lossMs, backward, opt, loss.Total.ToDouble());
    }

    /// <summary>The loss on a batch without a step (for agreement checks against another implementation).</summary>
    public double LossValue(SyntheticBatch batch)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var outputs = _model.Forward(batch.Images, batch.Tokens, 1.0);
        return _objective.Compute(new ObjectiveInputs(outputs, _objective.NeedsRegions ? batch.Masks : null, _objective.NeedsPhrases ? batch.Phrases : null)).Total.ToDouble();
    }

    private void Sync()
    {
        if (_device.type == DeviceType.CUDA) torch.cuda.synchronize(_device);
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
    }
}
