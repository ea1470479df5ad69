using PowerClip.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Training.Distributed;

/// <summary>
/// <see cref="ClipTrainable"/> on one rank of a data-parallel job: the local batch comes from this
/// rank's feed (<see cref="TrainingSetup.Feed"/> with the context splits the data), the loss is the
/// objective on the whole global batch. Each rank gathers what the objective reads — global
/// embeddings for CLIP/FLIP; additionally region embeddings φ [b, M, E], leaf embeddings ψ and the tree
/// tensors for PowerCLIP (padded to the largest leaf and node counts over all ranks first); patch and
/// token features for FILIP and SPARC — with only its own rows carrying gradient, and the logit scale
/// through <see cref="DistributedExtensions.Replicated"/> (why the summed gradients are then exact:
/// <see cref="IDistributedContext"/>). With one rank this is ClipTrainable exactly.
/// </summary>
/// <remarks>
/// Exact w.r.t. one process with the global batch for CLIP, FILIP, SPARC and every PowerCLIP variant
/// (regions are drawn per global row, see <see cref="RegionSpec"/>). FLIP, E-CLIP, CLIP-PGS and A-CLIP
/// mask (and A-CLIP crops) with a per-rank generator, so their masks differ from a one-process run (same
/// distribution); E-CLIP/CLIP-PGS gather the global embeddings as CLIP; A-CLIP gathers its view embeddings,
/// SimCLR features and BYOL predictions and targets (its heads run per rank, before the gather, so their
/// gradients sum exactly; their BatchNorm statistics are per rank, as in A-CLIP's own DDP code). Cost per rank:
/// the loss head on the whole global batch; FILIP and SPARC gather all patch and token features
/// (B·(N+S)·E values per step), PowerCLIP B·(M+L)·E plus the tree masks.
/// </remarks>
public sealed class DistributedClipTrainable : IDistributedTrainable, IDisposable
{
    private readonly ClipTrainable _local;
    private IDistributedContext _context = SingleProcessContext.Instance;

    public DistributedClipTrainable(ClipTrainable local)
    {
        _local = local;
        if (local.Objective is not (ClipObjective or FlipObjective or FilipObjective or SparcObjective
                                    or ClusterMaskingObjective or AClipObjective or PowerClipLoss))
            throw new ArgumentException(
                $"objective {local.Objective.Name} ({local.Objective.GetType().Name}) has no global-batch form " +
                "for data-parallel training; supported: clip, flip, filip, sparc, e-clip, clip-pgs, a-clip and the " +
                "powerclip variants");
    }

    public nn.Module Module => _local.Module;
    public int MicroBatchSize => _local.MicroBatchSize;

    public void Attach(IDistributedContext context) => _context = context;

    public Tensor Loss(int step, int microBatch, IDictionary<string, double> metrics)
    {
        if (_context.Size == 1) return _local.Loss(step, microBatch, metrics);
        // Masking objectives: torch's generator is in the same state on every rank (the trainer reseeds it per step);
        // a rank-specific generator keeps the ranks from dropping the same patches (or drawing the same crops).
        using var generator = _local.Objective.RandomForward
            ? new Generator((ulong)randint(0, int.MaxValue, [1]).item<long>() * 1_000_003UL + (ulong)_context.Rank)
            : null;
        var (batch, o) = _local.Forward(step, microBatch, _context.Rank * _local.MicroBatchSize, generator);
        using var _ = batch;
        var scale = _context.Replicated(o.LogitScale);
        var image = _context.AllGather(o.ImageEmbeds);
        var text = _context.AllGather(o.TextEmbeds);
        var loss = _local.Objective switch
        {
            PowerClipLoss powerClip => PowerClip(powerClip, o, batch, image, text, scale),
            AClipObjective aClip => aClip.FromEmbeddings(_context.AllGather(o.Extra[AClipObjective.Views]), text, scale,
                _context.AllGather(o.Extra[AClipObjective.SimClrFeatures]),
                    _context.AllGather(o.Extra[AClipObjective.ByolOnline]),
                _context.AllGather(o.Extra[AClipObjective.ByolTarget])),
            FilipObjective or SparcObjective => _local.Objective.Compute(new ObjectiveInputs(new ClipOutputs(
                image, text, scale, _context.AllGather(o.PatchTokens), _context.AllGather(o.TokenFeatures), _context.AllGather(o.TokenMask)))),
            _ => Clip(image, text, scale),
        };
        ClipTrainable.Report(loss, o, metrics);
        return loss.Total;
    }

    private static LossOutput Clip(Tensor image, Tensor text, Tensor scale)
    {
        var loss = ClipLoss.Compute(image, text, scale);
        return new LossOutput(loss, new Dictionary<string, Tensor> { ["clip"] = loss });
    }

    /// <summary>The PowerCLIP loss of the global batch from gathered φ, ψ and tree tensors (batches pad per batch, so pad to the global L, T first).</summary>
    private LossOutput PowerClip(PowerClipLoss loss, ClipOutputs o, TrainingBatch batch, Tensor image, Tensor text, Tensor scale)
    {
        var masks = batch.RegionMasks ?? throw new InvalidOperationException("PowerCLIP batch without region masks");
        var phrases = batch.Phrases ?? throw new InvalidOperationException("PowerCLIP batch without caption trees");
        var phi = RegionPooling.Embed(o.PatchTokens, masks);
        var psi = phrases.LeafEmbeddings(o.TokenFeatures);
        var leaves = (long)_context.AllGather(psi.shape[1]).Max();
        var nodes = (long)_context.AllGather(phrases.Membership.shape[2]).Max();
        var global = new PhraseBatch(
            empty(image.shape[0], leaves, 0, dtype: phrases.LeafTokens.dtype, device: phi.device),   // not read: ψ is already pooled
            _context.AllGather(Pad(phrases.LeafMask, 1, leaves)),
            _context.AllGather(Pad(Pad(phrases.Membership, 1, leaves), 2, nodes)),
            _context.AllGather(Pad(phrases.NodeMask, 1, nodes)));
        return loss.FromEmbeddings(image, text, scale, _context.AllGather(phi), _context.AllGather(Pad(psi, 1, leaves)), global);
    }

    /// <summary>Zero-pads dimension <paramref name="dim"/> to <paramref name="size"/> (zero leaves and nodes are masked out, as in one batch).</summary>
    private static Tensor Pad(Tensor t, int dim, long size)
    {
        if (t.shape[dim] == size) return t;
        var shape = t.shape.ToArray();
        shape[dim] = size - t.shape[dim];
        return cat([t, zeros(shape, t.dtype, t.device)], dim);
    }

    public void AfterOptimizerStep() => _local.AfterOptimizerStep();

    public void SaveWeights(string path) => _local.SaveWeights(path);

    public void LoadWeights(string path) => _local.LoadWeights(path);

    public void Dispose() => _local.Dispose();
}
