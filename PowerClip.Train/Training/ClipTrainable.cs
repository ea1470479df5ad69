using PowerClip.Model;
using PowerClip.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Training;

/// <summary>
/// A CLIP-family model, one objective (CLIP, FLIP, FILIP, SPARC, PowerCLIP and its ablations) and a
/// sample feed, as the trainer sees them. Batches are consumed strictly in order; when the trainer
/// starts at a later step (resume), the feed skips the batches the earlier run consumed.
/// </summary>
public sealed class ClipTrainable : ITrainable, IDisposable
{
    /// <summary>An objective's own state (A-CLIP: EMA encoder and heads), beside the model's weights in a
    /// checkpoint.</summary>
    public const string ObjectiveStateFile = "objective.safetensors";

    private readonly SampleFeed _feed;
    private readonly TrainConfig _config;
    private readonly Device _device;
    private long _nextBatch;
    private int _step;

    public ClipModel Model { get; }
    public IContrastiveObjective Objective { get; }
    /// <summary>The model, or the model and the objective's state when it has one (both are optimised).</summary>
    public nn.Module Module { get; }
    public int MicroBatchSize => _config.BatchSize;

    public ClipTrainable(ClipModel model, IContrastiveObjective objective, SampleFeed feed, TrainConfig config, Device device)
    {
        Model = model; Objective = objective; _feed = feed; _config = config; _device = device;
        if (objective is IStatefulObjective stateful) stateful.Attach(model);
        Module = objective is IStatefulObjective s ? new ModelAndObjectiveState(model, s.State) : model;
    }

    public Tensor Loss(int step, int microBatch, IDictionary<string, double> metrics)
    {
        var (batch, outputs) = Forward(step, microBatch);
        using var _ = batch;
        var loss = Objective.Compute(new ObjectiveInputs(outputs, batch.RegionMasks, batch.Phrases));
        Report(loss, outputs, metrics);
        return loss.Total;
    }

    /// <summary>
    /// The next batch of this feed for (step, micro-batch) and the model's outputs on it. Regions are drawn
    /// per row as row <paramref name="rowOffset"/> + b of the global batch (a data-parallel rank's place in it).
    /// </summary>
    internal (TrainingBatch Batch, ClipOutputs Outputs) Forward(int step, int microBatch, int rowOffset = 0, Generator? generator = null)
    {
        _step = step;
        var index = (long)step * _config.Optimizer.AccumulationSteps + microBatch;
        if (index < _nextBatch) throw new InvalidOperationException($"batch {index} was already consumed (next is {_nextBatch}): steps must run in order");
        _feed.Skip((index - _nextBatch) * _config.BatchSize);
        _nextBatch = index + 1;
        var samples = _feed.NextBatch(_config.BatchSize);
        var regions = Objective.NeedsRegions
            ? new RegionSpec(_config.RegionSource, _config.Regions, (int)(Trainer.StepSeed(_config.Optimizer.Seed, step) * 31 + microBatch), rowOffset)
            : null;
        var batch = TrainingBatch.Collate(samples, Model.Config, regions, Objective.NeedsPhrases, _device);
        var dtype = Model.parameters().First().dtype; // a float64 model (exactness tests) gets float64 pixels
        return (batch,
            Objective.Forward(Model, batch.Images.to(dtype), batch.Tokens,
            new ForwardContext(generator, step, _config.Optimizer.Steps)));
    }

    internal static void Report(LossOutput loss, ClipOutputs outputs, IDictionary<string, double> metrics)
    {
        foreach (var (name, part) in loss.Parts)
            if (name != "total") metrics[name] = part.ToDouble();
        metrics["logit_scale"] = outputs.LogitScale.ToDouble();
    }

    /// <summary>open_clip clamps the stored log-scale after every step, so it cannot drift past log(100); an
    /// objective's EMA follows the step.</summary>
    public void AfterOptimizerStep()
    {
        Model.ClampLogitScale();
        if (Objective is IStatefulObjective stateful) stateful.AfterOptimizerStep(Model, _step + 1,
            _config.Optimizer.Steps);
    }

    /// <summary>Weights under open_clip's names, the objective's state beside them, and the run's config so a
    /// checkpoint folder is self-contained.</summary>
    public void SaveWeights(string path)
    {
        Checkpoint.Save(Model, path);
        var dir = Path.GetDirectoryName(path)!;
        if (Objective is IStatefulObjective stateful) ModuleState.Save(stateful.State,
            Path.Combine(dir, ObjectiveStateFile));
        File.WriteAllText(Path.Combine(dir, TrainedModel.ConfigFile), _config.ToJson());
    }

    public void LoadWeights(string path)
    {
        Checkpoint.Load(Model, path);
        if (Objective is IStatefulObjective stateful) ModuleState.Load(stateful.State,
            Path.Combine(Path.GetDirectoryName(path)!, ObjectiveStateFile));
    }

    public void Dispose() => _feed.Dispose();
}

/// <summary>The model and an objective's state as one module, so the optimizer and the distributed broadcast see both
/// (checkpoints keep them apart).</summary>
file sealed class ModelAndObjectiveState : nn.Module
{
    private nn.Module model;
    private nn.Module objective;

    public ModelAndObjectiveState(ClipModel model, nn.Module objectiveState) : base("model_and_objective")
    {
        this.model = model;
        objective = objectiveState;
        RegisterComponents();
    }
}
