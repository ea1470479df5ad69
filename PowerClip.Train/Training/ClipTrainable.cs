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
    private readonly SampleFeed _feed;
    private readonly TrainConfig _config;
    private readonly Device _device;
    private long _nextBatch;

    public ClipModel Model { get; }
    public IContrastiveObjective Objective { get; }
    public nn.Module Module => Model;
    public int MicroBatchSize => _config.BatchSize;

    public ClipTrainable(ClipModel model, IContrastiveObjective objective, SampleFeed feed, TrainConfig config, Device device)
    {
        Model = model; Objective = objective; _feed = feed; _config = config; _device = device;
    }

    public Tensor Loss(int step, int microBatch, IDictionary<string, double> metrics)
    {
        var (batch, outputs) = Forward(step, microBatch);
        using var _ = batch;
        var loss = Objective.Compute(new ObjectiveInputs(outputs, batch.RegionMasks, batch.Phrases));
        Report(loss, outputs, metrics);
        ReportRegions(batch, microBatch, metrics);
        return loss.Total;
    }

    /// <summary>
    /// Where this step's regions came from, so a run labelled -S can be checked: given_mask_share (rows with at least
    /// one given mask) and given_region_share (given masks among all M regions), averaged over micro-batches; this
    /// process's rows only (rank 0's part in a data-parallel run).
    /// </summary>
    internal void ReportRegions(TrainingBatch batch, int microBatch, IDictionary<string, double> metrics)
    {
        if (batch.RegionMasks is null) return;
        var (rows, accumulation) = ((double)batch.RegionMasks.shape[0], _config.Optimizer.AccumulationSteps);
        void Add(string key, double value) =>
            metrics[key] = (microBatch > 0 && metrics.TryGetValue(key, out var sum) ? sum : 0) + value / accumulation;
        Add("given_mask_share", batch.GivenMaskRows / rows);
        Add("given_region_share", batch.GivenRegions / (rows * batch.RegionMasks.shape[1]));
    }

    /// <summary>
    /// The next batch of this feed for (step, micro-batch) and the model's outputs on it. Regions are drawn
    /// per row as row <paramref name="rowOffset"/> + b of the global batch (a data-parallel rank's place in it).
    /// </summary>
    internal (TrainingBatch Batch, ClipOutputs Outputs) Forward(int step, int microBatch, int rowOffset = 0, Generator? generator = null)
    {
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
        return (batch, Model.Forward(batch.Images.to(dtype), batch.Tokens, Objective.PatchKeepRatio, generator));
    }

    internal static void Report(LossOutput loss, ClipOutputs outputs, IDictionary<string, double> metrics)
    {
        foreach (var (name, part) in loss.Parts)
            if (name != "total") metrics[name] = part.ToDouble();
        metrics["logit_scale"] = outputs.LogitScale.ToDouble();
    }

    /// <summary>open_clip clamps the stored log-scale after every step, so it cannot drift past log(100).</summary>
    public void AfterOptimizerStep() => Model.ClampLogitScale();

    /// <summary>Weights under open_clip's names, and the run's config beside them so a checkpoint folder is self-contained.</summary>
    public void SaveWeights(string path)
    {
        Checkpoint.Save(Model, path);
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(path)!, TrainedModel.ConfigFile), _config.ToJson());
    }

    public void LoadWeights(string path) => Checkpoint.Load(Model, path);

    public void Dispose() => _feed.Dispose();
}
