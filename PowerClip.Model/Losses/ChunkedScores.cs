using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace PowerClip.Model;

/// <summary>
/// S̄ = PowerClipScores.Combine(S1(φ, p)) computed over chunks of image rows so that memory grows
/// linearly in the batch: the forward keeps only S̄ [Bi, Bj]; the backward recomputes each chunk's
/// S1 with autograd and accumulates the gradients of φ and p (recomputation in place of TorchSharp's
/// missing gradient checkpointing). Peak extra memory ≈ a few chunks of ChunkElements entries.
/// </summary>
public sealed class ChunkedScores : SingleTensorFunction<ChunkedScores>
{
    public override string Name => "PowerClipChunkedScores";

    /// <param name="phi">region embeddings φ [Bi, M, E]</param>
    /// <param name="nodes">node embeddings p [Bj, T, E]</param>
    /// <param name="nodeMask">valid nodes [Bj, T], bool</param>
    /// <returns>S̄ [Bi, Bj]</returns>
    public static Tensor Compute(Tensor phi, Tensor nodes, Tensor nodeMask, PowerClipLossConfig cfg) =>
        apply(phi, nodes, nodeMask, cfg);

    /// <summary>Image rows per chunk such that one chunk's S1-sized tensors stay within cfg.ChunkElements.</summary>
    public static long RowsPerChunk(Tensor phi, Tensor nodes, PowerClipLossConfig cfg)
    {
        long m = phi.shape[1], bj = nodes.shape[0], t = nodes.shape[1];
        var perRow = bj * m * t * (cfg.Aggregation == PowersetAggregation.Exact ? Math.Max(1L, (1L << (int)Math.Min(m, 30)) / m) : 1L);
        return Math.Max(1L, cfg.ChunkElements / Math.Max(1L, perRow));
    }

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var (phi, nodes, nodeMask, cfg) = Unpack(vars);
        ctx.save_for_backward([phi, nodes, nodeMask]);
        ctx.save_data("cfg", cfg);
        var rows = RowsPerChunk(phi, nodes, cfg);
        var parts = new List<Tensor>();
        for (long i0 = 0; i0 < phi.shape[0]; i0 += rows)
        {
            using var scope = torch.NewDisposeScope();
            var chunk = phi.narrow(0, i0, Math.Min(rows, phi.shape[0] - i0));
            parts.Add(PowerClipScores.Combine(PowerClipScores.S1(chunk, nodes), nodeMask, cfg).MoveToOuterDisposeScope());
        }
        var result = torch.cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return result;
    }

    public override List<Tensor> backward(AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        Tensor phi = saved[0], nodes = saved[1], nodeMask = saved[2];
        var cfg = (PowerClipLossConfig)ctx.get_data("cfg");
        var rows = RowsPerChunk(phi, nodes, cfg);
        using var grad = torch.enable_grad();
        var nodesLeaf = nodes.detach().requires_grad_(true);
        var gradNodes = torch.zeros_like(nodes);
        var gradPhi = new List<Tensor>();
        for (long i0 = 0; i0 < phi.shape[0]; i0 += rows)
        {
            using var scope = torch.NewDisposeScope();
            var i1 = Math.Min(phi.shape[0], i0 + rows);
            var chunk = phi.narrow(0, i0, i1 - i0).detach().requires_grad_(true);
            var s = PowerClipScores.Combine(PowerClipScores.S1(chunk, nodesLeaf), nodeMask, cfg);
            var g = torch.autograd.grad([s], [chunk, nodesLeaf], [gradOutput.narrow(0, i0, i1 - i0)]);
            gradNodes.add_(g[1]);
            gradPhi.Add(g[0].MoveToOuterDisposeScope());
        }
        var gradPhiAll = torch.cat(gradPhi, 0);
        foreach (var t in gradPhi) t.Dispose();
        nodesLeaf.Dispose();
        return [gradPhiAll, gradNodes, null!, null!];
    }

    private static (Tensor Phi, Tensor Nodes, Tensor NodeMask, PowerClipLossConfig Cfg) Unpack(object[] vars) =>
        vars is [Tensor phi, Tensor nodes, Tensor nodeMask, PowerClipLossConfig cfg]
            ? (phi, nodes, nodeMask, cfg)
            : throw new ArgumentException("ChunkedScores expects (φ, p, nodeMask, config)");
}
