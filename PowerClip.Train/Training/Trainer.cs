using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using PowerClip.Data;
using PowerClip.Train.Training.Distributed;
using static TorchSharp.torch;

namespace PowerClip.Train.Training;

/// <summary>A non-finite loss stopped the run; the last good checkpoint is untouched.</summary>
public sealed class NonFiniteLossException(int step, double loss, string? lastCheckpoint)
    : Exception($"loss became {loss} at step {step}; the run stopped without taking that step" +
                (lastCheckpoint is null ? " (no checkpoint was written yet)" : $"; the last good checkpoint is " +
                    $"{lastCheckpoint}"));

/// <summary>
/// The optimisation loop: AdamW with open_clip's decay split, warm-up + cosine, gradient
/// accumulation and clipping, per-step reseeding (so a resumed run repeats an uninterrupted one),
/// JSON-lines metrics, durable checkpoints (with every rank's data position), skipped steps on non-finite
/// gradients (<see cref="NonFiniteGuard"/>) and a progress display. Data-parallel over several
/// processes with an <see cref="IDistributedContext"/>: rank 0's weights are broadcast at start,
/// gradients are summed over ranks after backward (before clipping), and only rank 0 writes
/// metrics, checkpoints and progress.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly ITrainable _task;
    private readonly TrainerOptions _options;
    private readonly AdamW _optimizer;
    private readonly List<Parameter> _parameters;
    private readonly IDistributedContext _distributed;
    private readonly NonFiniteGuard _guard;

    public CheckpointStore Checkpoints { get; }
    public string RunDirectory { get; }
    public int Step { get; private set; }

    /// <summary>The trainer state of the checkpoint <see cref="Resume"/> loaded (null before).</summary>
    public TrainerState? ResumedState { get; private set; }

    /// <summary>
    /// Whether <see cref="Resume"/> restored the data's saved position (false: the task replays, or has none).
    /// </summary>
    public bool DataPositionRestored { get; private set; }

    /// <summary>
    /// <paramref name="distributed"/>: the job this process belongs to (default: one process). With
    /// more than one rank the task must be an <see cref="IDistributedTrainable"/>, whose loss is the
    /// global-batch loss; every rank must construct its trainer at the same point (a collective).
    /// </summary>
    public Trainer(ITrainable task, TrainerOptions options, string runDirectory,
        IDistributedContext? distributed = null)
    {
        options.Validate();
        _distributed = distributed ?? SingleProcessContext.Instance;
        if (_distributed.Size > 1 && task is not IDistributedTrainable)
            throw new ArgumentException($"a distributed run ({_distributed.Size} ranks) needs a task that implements " +
                "IDistributedTrainable " +
                                        $"(it must read its own shard and return the global-batch loss); " +
                                            $"{task.GetType().Name} does not");
        if (task is IDistributedTrainable shardable) shardable.Attach(_distributed);
        _distributed.BroadcastModule(task.Module);
        _task = task;
        _options = options;
        RunDirectory = runDirectory;
        Directory.CreateDirectory(runDirectory);
        Checkpoints = new CheckpointStore(runDirectory, options.KeepCheckpoints);
        if (_distributed.IsMain) Checkpoints.RemoveStaleTemporaries();
        _guard = new NonFiniteGuard(options.MaxNonFiniteSkips);
        var (decay, noDecay) = ParameterGroups.Split(task.Module);
        _parameters = [.. decay, .. noDecay];
        var groups = new List<AdamW.ParamGroup>
        {
            new(decay, options.Lr, options.Beta1, options.Beta2, options.Eps, options.WeightDecay, false, false),
            new(noDecay, options.Lr, options.Beta1, options.Beta2, options.Eps, 0.0, false, false),
        };
        _optimizer = optim.AdamW(groups, options.Lr, options.Beta1, options.Beta2, options.Eps, options.WeightDecay);
    }

    /// <summary>Loads weights, optimizer state and step from a checkpoint directory.</summary>
    public void Resume(string checkpointDirectory)
    {
        foreach (var f in new[] { RunFolder.WeightsFile, RunFolder.OptimizerFile, RunFolder.StateFile })
            if (!File.Exists(Path.Combine(checkpointDirectory, f)))
                throw new FileNotFoundException($"checkpoint {checkpointDirectory} is incomplete: {f} is missing");
        var state = JsonSerializer.Deserialize<TrainerState>(
            File.ReadAllText(Path.Combine(checkpointDirectory, RunFolder.StateFile)))
                    ?? throw new InvalidDataException($"{RunFolder.StateFile} in {checkpointDirectory} is empty");
        if (state.Seed != _options.Seed)
            throw new InvalidOperationException($"checkpoint was trained with seed {state.Seed}, this run uses " +
                $"{_options.Seed}");
        _task.LoadWeights(Path.Combine(checkpointDirectory, RunFolder.WeightsFile));
        _optimizer.load_state_dict(Path.Combine(checkpointDirectory, RunFolder.OptimizerFile));
        Step = state.Step;
        var steps = _distributed.AllGather(Step);
        if (steps.Any(s => s != Step))
            throw new InvalidOperationException($"ranks resumed from different steps ({string.Join(", ", steps)}) " +
                $"out of {checkpointDirectory}: " +
                                                "put the run directory on a file system every rank shares");
        _guard.Total = state.NonFiniteSkips;
        ResumedState = state;
        if (_task is IResumableData data &&
            DataPositionFile.Read(checkpointDirectory, _distributed.Rank, _distributed.Size) is { } position)
        {
            data.RestoreDataPosition(position, Step);
            DataPositionRestored = true;
        }
    }

    /// <summary>Runs from the current step to <see cref="TrainerOptions.Steps"/>.</summary>
    public void Run(TimeSpan? plainProgressInterval = null)
    {
        using var metrics = _distributed.IsMain ? MetricsLog.Open(new RunFolder(RunDirectory).Metrics, Step) : null;
        var schedule = _options.Schedule;
        string? lastCheckpoint = Checkpoints.List().LastOrDefault().Directory;
        Action<int, int, TimeSpan, Action<IProgressSink>> runProgress = _distributed.IsMain
            ? TrainingProgress.Run : (_, _, _, body) => body(new SilentProgress());
        runProgress(Step, _options.Steps, plainProgressInterval ?? TimeSpan.FromSeconds(10), progress =>
        {
            var clock = Stopwatch.StartNew();
            for (; Step < _options.Steps; )
            {
                var stepStart = clock.Elapsed;
                var commStart = _distributed.CommunicationTime;
                var record = new Dictionary<string, double>();
                var lr = schedule.At(Step);
                double loss, gradNorm;
                bool skipped;
                using (var scope = torch.NewDisposeScope())
                {
                    torch.manual_seed(Seeds.Step(_options.Seed, Step));
                    foreach (var g in _optimizer.ParamGroups) g.LearningRate = lr;
                    _optimizer.zero_grad();
                    loss = 0;
                    for (var micro = 0; micro < _options.AccumulationSteps; micro++)
                    {
                        var l = _task.Loss(Step, micro, record);
                        (l / _options.AccumulationSteps).backward();
                        loss += l.ToDouble() / _options.AccumulationSteps; // any float dtype (float64 runs too)
                    }
                    if (_distributed.Size > 1)
                    {
                        // Each rank's loss is its share of the global batch's (LossOutput): the sums over ranks
                        // of the gradients and of the losses are the global ones, and a NaN on any rank stops
                        // every rank at this step.
                        _distributed.AllReduceGradients(_parameters);
                        loss = _distributed.AllGather(loss).Sum();
                    }
                    if (!double.IsFinite(loss)) throw new NonFiniteLossException(Step, loss, lastCheckpoint);
                    // The all-reduced gradients are identical on every rank, so is this norm: all ranks skip together.
                    gradNorm = _options.GradClip > 0
                        ? nn.utils.clip_grad_norm_(_parameters, _options.GradClip)
                        : NonFiniteGuard.GradientNorm(_parameters);
                    skipped = !_guard.Admit(Step, gradNorm, lastCheckpoint);
                    if (!skipped)
                    {
                        _optimizer.step();
                        _task.AfterOptimizerStep();
                    }
                    else if (_distributed.IsMain)
                        Console.Error.WriteLine(
                            $"powerclip: warning: step {Step}: gradient norm {gradNorm}; optimizer step skipped " +
                            $"({_guard.Consecutive} in a row; {_guard.MaxConsecutive} stop the run)");
                }
                Step++;
                var seconds = (clock.Elapsed - stepStart).TotalSeconds;
                var samplesPerSecond = _task.MicroBatchSize * _options.AccumulationSteps * _distributed.Size / Math.Max(
                    seconds, 1e-9);
                if (Step % _options.LogEvery == 0 || Step == _options.Steps || skipped)
                {
                    var line = new Dictionary<string, object>
                    {
                        ["step"] = Step - 1, ["loss"] = loss, ["lr"] = lr, ["samples_per_s"] = samplesPerSecond,
                        ["time_s"] = clock.Elapsed.TotalSeconds,
                    };
                    // JSON has no NaN or infinity: those are logged as the strings "NaN" and "Infinity".
                    line["grad_norm"] = double.IsFinite(gradNorm)
                        ? gradNorm
                        : gradNorm.ToString(CultureInfo.InvariantCulture);
                    line["nonfinite_skips"] = _guard.Total;
                    if (skipped) line["skipped"] = 1;
                    if (_distributed.Size > 1) line["comm_s"] = (
                        _distributed.CommunicationTime - commStart).TotalSeconds;
                    foreach (var (k, v) in record) line[k] = v;
                    metrics?.Write(line);
                }
                progress.Update(Step, loss, lr, samplesPerSecond);
                if (Step % _options.CheckpointEvery == 0 || Step == _options.Steps)
                    lastCheckpoint = SaveCheckpoint();
            }
        });
    }

    /// <summary>
    /// Writes weights (safetensors, via the task: open_clip key names for CLIP models), optimizer state, step and every
    /// rank's data position, after checking that the weights are finite. A collective (the positions are gathered);
    /// on ranks other than 0 it writes nothing and returns the directory rank 0 writes.
    /// </summary>
    public string SaveCheckpoint()
    {
        // Every rank holds the same weights, so every rank refuses together.
        NonFiniteGuard.CheckWeights(_task.Module, Step, Checkpoints.List().LastOrDefault().Directory);
        var positions = _task is IResumableData data
            ? _distributed.AllGatherText(data.SaveDataPosition().ToJsonString())
            : null;
        if (!_distributed.IsMain) return Path.Combine(Checkpoints.Root, CheckpointStore.NameOf(Step));
        return Checkpoints.Save(Step, dir =>
        {
            _task.SaveWeights(Path.Combine(dir, RunFolder.WeightsFile));
            using (var w = new BinaryWriter(File.Create(Path.Combine(dir, RunFolder.OptimizerFile))))
                _optimizer.save_state_dict(w);
            var state = new TrainerState(Step, _options.Seed, DateTime.UtcNow, torch.get_num_threads(), _guard.Total);
            File.WriteAllText(Path.Combine(dir, RunFolder.StateFile),
                              JsonSerializer.Serialize(state, new JsonSerializerOptions { WriteIndented = true }));
            if (positions is not null) DataPositionFile.Write(dir, positions);
        });
    }

    public void Dispose() => _optimizer.Dispose();
}

/// <summary>Ranks other than 0 show no progress.</summary>
file sealed class SilentProgress : IProgressSink
{
    public void Update(int step, double loss, double lr, double samplesPerSecond) { }
}

/// <summary>
/// The trainer's part of a checkpoint: completed steps, the seed the per-step RNG derives from, the CPU threads
/// the run computed with (their number changes the order of parallel sums, hence the last bits: a resume uses
/// the same number) and the steps skipped on non-finite gradients so far.
/// </summary>
public sealed record TrainerState(int Step, int Seed, DateTime SavedUtc, int? Threads = null, int NonFiniteSkips = 0);
