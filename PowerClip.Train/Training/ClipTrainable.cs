using System.Text.Json.Nodes;
using PowerClip.Data;
using PowerClip.Model;
using PowerClip.Train.Models;
using PowerClip.Train.Training.Distributed;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Training;

/// <summary>
/// A CLIP-family model, one objective (CLIP, FLIP, FILIP, SPARC, the masking baselines, PowerCLIP and its
/// ablations) and a sample feed, as the trainer sees them. Batches are consumed strictly in order; a resumed run
/// restores the feed's saved position (<see cref="IResumableData"/>), or, from a checkpoint without one, skips the
/// batches the earlier run consumed by reading them again. On one rank of a
/// data-parallel job (<see cref="Attach"/>) the local batch comes from this rank's feed
/// (<see cref="TrainingSetup.Feed"/> with the context splits the data) and the objective gathers what it
/// needs of the other ranks' batch through the context, so the loss is the global batch's.
/// </summary>
/// <remarks>
/// Exact w.r.t. one process with the global batch for CLIP, FILIP, SPARC and every PowerCLIP variant (regions
/// are drawn per global row, see <see cref="RegionSpec"/>). FLIP, E-CLIP, CLIP-PGS and A-CLIP mask (and A-CLIP
/// crops) with a per-rank generator, so their masks differ from a one-process run (same distribution).
/// </remarks>
public sealed class ClipTrainable : IDistributedTrainable, IResumableData, IDisposable
{
    private readonly ModelInputs _inputs;
    private readonly SampleFeed _feed;
    private readonly TrainConfig _config;
    private readonly Device _device;
    private IDistributedContext _ranks = SingleProcessContext.Instance;
    private long _nextBatch;
    private int _step;

    public ClipModel Model { get; }
    public IContrastiveObjective Objective { get; }
    /// <summary>The model, or the model and the objective's state when it has one (both are optimised).</summary>
    public nn.Module Module { get; }
    public int MicroBatchSize => _config.BatchSize;

    public ClipTrainable(ClipModel model, ModelInputs inputs, IContrastiveObjective objective, SampleFeed feed,
        TrainConfig config, Device device)
    {
        Model = model; _inputs = inputs; Objective = objective; _feed = feed; _config = config; _device = device;
        if (objective is IStatefulObjective stateful) stateful.Attach(model);
        Module = objective is IStatefulObjective s ? new ModelAndObjectiveState(model, s.State) : model;
        Model.GradCheckpointing = config.GradCheckpointing;
    }

    public void Attach(IDistributedContext context) => _ranks = context;

    public Tensor Loss(int step, int microBatch, IDictionary<string, double> metrics)
    {
        // Masking objectives: torch's generator is in the same state on every rank (the trainer reseeds it per step);
        // a rank-specific generator keeps the ranks from dropping the same patches (or drawing the same crops).
        using var generator = _ranks.Size > 1 && Objective.RandomForward
            ? new Generator(Seeds.PatchDropRank(randint(0, int.MaxValue, [1]).item<long>(), _ranks.Rank))
            : null;
        var (batch, outputs) = Forward(step, microBatch, _ranks.Rank * MicroBatchSize, generator, metrics);
        using var _ = batch;
        var loss = Objective.Compute(new ObjectiveInputs(outputs, batch.RegionMasks, batch.Phrases, _ranks,
                                                         Seeds.LossDraws(_config.Optimizer.Seed, step, microBatch)));
        Report(loss, outputs, metrics, _ranks);
        ReportRegions(batch, microBatch, metrics);
        return loss.Total;
    }

    /// <summary>
    /// Where this step's regions came from, so a run labelled -S can be checked: given_mask_share (rows with at least
    /// one given mask) and given_region_share (given masks among all M regions), averaged over micro-batches; this
    /// process's rows only (rank 0's part in a data-parallel run).
    /// </summary>
    private void ReportRegions(TrainingBatch batch, int microBatch, IDictionary<string, double> metrics)
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
    private (TrainingBatch Batch, ClipOutputs Outputs) Forward(int step, int microBatch, int rowOffset,
                                                              Generator? generator, IDictionary<string, double> metrics)
    {
        _step = step;
        var index = (long)step * _config.Optimizer.AccumulationSteps + microBatch;
        if (index < _nextBatch) throw new InvalidOperationException(
            $"batch {index} was already consumed (next is {_nextBatch}): steps must run in order");
        // data_wait_s: how long this step waited for the feed (its prepared samples are queued ahead of the trainer,
        // so a pipeline that keeps up shows microseconds); summed over micro-batches, this rank's.
        var wait = System.Diagnostics.Stopwatch.StartNew();
        _feed.Skip((index - _nextBatch) * _config.BatchSize);
        _nextBatch = index + 1;
        var samples = _feed.NextBatch(_config.BatchSize);
        metrics["data_wait_s"] = wait.Elapsed.TotalSeconds
                                 + (metrics.TryGetValue("data_wait_s", out var earlier) ? earlier : 0);
        var regions = Objective.NeedsRegions
            ? new RegionSpec(_config.RegionSource, _config.Regions,
                Seeds.Regions(_config.Optimizer.Seed, step, microBatch), rowOffset)
            : null;
        var batch = TrainingBatch.Collate(samples, _inputs, regions, Objective.NeedsPhrases, _device);
        var dtype = Model.parameters().First().dtype; // a float64 model (exactness tests) gets float64 pixels
        using var precision = Autocast.Enter(_config.Precision);   // the encoders only: the objective runs in float32
        return (batch,
            Objective.Forward(Model, batch.Images.to(dtype), batch.Tokens,
            new ForwardContext(generator, step, _config.Optimizer.Steps)));
    }

    /// <summary>
    /// The loss's parts of the global batch: each rank's are its shares (LossOutput), summed in one gather.
    /// </summary>
    private static void Report(LossOutput loss, ClipOutputs outputs, IDictionary<string, double> metrics,
                               IFeatureGather ranks)
    {
        var parts = loss.Parts.Where(p => p.Key != "total").ToArray();
        var values = parts.Select(p => p.Value.ToDouble()).ToArray();
        if (ranks.Size > 1 && values.Length > 0)
            values = ranks.SumAcrossRanks(torch.tensor(values, ScalarType.Float64)).data<double>().ToArray();
        for (var i = 0; i < parts.Length; i++) metrics[parts[i].Key] = values[i];
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
            Path.Combine(dir, RunFolder.ObjectiveStateFile));
        File.WriteAllText(Path.Combine(dir, RunFolder.ConfigFile), _config.ToJson());
    }

    public void LoadWeights(string path)
    {
        Checkpoint.Load(Model, path);
        if (Objective is IStatefulObjective stateful) ModuleState.Load(stateful.State,
            Path.Combine(Path.GetDirectoryName(path)!, RunFolder.ObjectiveStateFile));
    }

    public JsonNode SaveDataPosition() => _feed.Position.ToJson();

    public void RestoreDataPosition(JsonNode position, int step)
    {
        _feed.Seek(DataPosition.FromJson(position));
        _nextBatch = (long)step * _config.Optimizer.AccumulationSteps;
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
