using System.Diagnostics;
using PowerClip.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Performance;

/// <summary>Wall time of each phase of one training step, in milliseconds (for medians: Total is the sum of the phase
/// medians).</summary>
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
    private readonly Precision _precision;

    /// <param name="precision">the encoders' blocks in fp32 or bf16 (<see cref="Autocast"/>)</param>
    /// <param name="gradCheckpointing">activation checkpointing of every block (<see cref="BlockCheckpoint"/>)</param>
    public SyntheticStep(ClipConfig cfg, IContrastiveObjective objective, int seed, Device device,
                         Precision precision = Precision.Fp32, bool gradCheckpointing = false)
    {
        torch.manual_seed(seed);
        _model = new ClipModel(cfg) { GradCheckpointing = gradCheckpointing };
        _precision = precision;
        _model.to(device);
        _objective = objective;
        _device = device;
        // The trainer's AdamW settings (paper: β = 0.9/0.98, wd 0.2); one group suffices for timing.
        _optimizer = optim.AdamW(_model.parameters(), 1e-4, 0.9, 0.98, 1e-6, 0.2);
    }

    public ClipModel Model => _model;

    /// <param name="beforeBackward">called between the loss and the backward (memory probes)</param>
    public StepTiming Run(SyntheticBatch batch, Action? beforeBackward = null)
    {
        using var scope = torch.NewDisposeScope();
        var clock = Stopwatch.StartNew();
        double Lap() { Sync(); var t = clock.Elapsed.TotalMilliseconds; clock.Restart(); return t; }
        _optimizer.zero_grad();
        ClipOutputs outputs;
        using (Autocast.Enter(_precision))
            outputs = _model.Forward(batch.Images, batch.Tokens, _objective.PatchKeepRatio);
        var forward = Lap();
        var loss = _objective.Compute(new ObjectiveInputs(outputs, _objective.NeedsRegions ? batch.Masks : null,
            _objective.NeedsPhrases ? batch.Phrases : null));
        var lossMs = Lap();
        beforeBackward?.Invoke();
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
        return _objective.Compute(new ObjectiveInputs(outputs, _objective.NeedsRegions ? batch.Masks : null,
            _objective.NeedsPhrases ? batch.Phrases : null)).Total.ToDouble();
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
