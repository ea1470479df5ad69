using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace PowerClip.Model;

/// <summary>
/// S̄ = PowerClipScores.Combine(S1(φ, p)) computed over chunks of image rows so that memory grows
/// linearly in the batch: the forward keeps only S̄ [Bi, Bj]; the backward recomputes S1 with autograd for
/// the pairs that receive a gradient and accumulates the gradients of φ and p (recomputation in place of
/// TorchSharp's missing gradient checkpointing). Peak extra memory ≈ a few chunks of ChunkElements entries.
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
        var perRow = bj * m * t * SubsetFactor(m, cfg);
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
            parts.Add(PowerClipScores.Combine(PowerClipScores.S1(chunk, nodes), nodeMask, cfg)
                .MoveToOuterDisposeScope());
        }
        var result = torch.cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return result;
    }

    /// <summary>
    /// The backward recomputes S̄ only for the pairs (i, j) whose upstream gradient is non-zero. The hardest-negative
    /// triplet loss reaches S̄ at the diagonal and at each row's and column's hardest negative, at most 3B of the
    /// B² pairs, so this makes the backward linear in the batch instead of quadratic (docs/performance.md); a dense
    /// upstream gradient costs a recomputation of every pair. Pairs go in chunks within cfg.ChunkElements.
    /// </summary>
    public override List<Tensor> backward(AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        Tensor phi = saved[0], nodes = saved[1], nodeMask = saved[2];
        var cfg = (PowerClipLossConfig)ctx.get_data("cfg");
        var gradPhi = torch.zeros_like(phi);
        var gradNodes = torch.zeros_like(nodes);
        using var scope = torch.NewDisposeScope();
        var active = gradOutput.nonzero();   // [P, 2]: (i, j)
        var pairs = active.shape[0];
        var perChunk = PairsPerChunk(phi, nodes, cfg);
        using var grad = torch.enable_grad();
        for (long p0 = 0; p0 < pairs; p0 += perChunk)
        {
            using var chunkScope = torch.NewDisposeScope();
            var chunk = active.narrow(0, p0, Math.Min(perChunk, pairs - p0));
            var (i, j) = (chunk.select(1, 0), chunk.select(1, 1));
            var phiPairs = phi.index_select(0, i).detach().requires_grad_(true);       // [P, M, E]
            var nodePairs = nodes.index_select(0, j).detach().requires_grad_(true);   // [P, T, E]
            // One image row holding P caption columns: S1 [1, P, M, T], node mask [P, T] → S̄ [1, P].
            var s1 = torch.einsum("pmd,ptd->pmt", phiPairs, nodePairs).unsqueeze(0);
            var s = PowerClipScores.Combine(s1, nodeMask.index_select(0, j), cfg);
            var upstream = gradOutput.flatten().index_select(0, i * gradOutput.shape[1] + j).unsqueeze(0);
            var g = torch.autograd.grad([s], [phiPairs, nodePairs], [upstream]);
            gradPhi.index_add_(0, i, g[0], 1);
            gradNodes.index_add_(0, j, g[1], 1);
        }
        return [gradPhi, gradNodes, null!, null!];
    }

    /// <summary>Pairs per backward chunk: their S1-sized tensors and gathered embeddings stay within
    /// cfg.ChunkElements.</summary>
    private static long PairsPerChunk(Tensor phi, Tensor nodes, PowerClipLossConfig cfg)
    {
        long m = phi.shape[1], t = nodes.shape[1], e = phi.shape[2];
        var perPair = Math.Max(m * t * SubsetFactor(m, cfg), (m + t) * e);
        return Math.Max(1L, cfg.ChunkElements / Math.Max(1L, perPair));
    }

    /// <summary>How many S1-sized entries one (pair, region) costs: 2^M / M subsets for exact aggregation, K / M for
    /// the Monte Carlo R2T (K subsets), else 1.</summary>
    private static long SubsetFactor(long m, PowerClipLossConfig cfg) =>
        cfg.Aggregation == PowersetAggregation.Exact ? Math.Max(1L, (1L << (int)Math.Min(m, 30)) / m)
        : cfg.R2T == R2TMethod.MonteCarlo ? Math.Max(1L, cfg.MonteCarloSamples / m)
        : 1L;

    private static (Tensor Phi, Tensor Nodes, Tensor NodeMask, PowerClipLossConfig Cfg) Unpack(object[] vars) =>
        vars is [Tensor phi, Tensor nodes, Tensor nodeMask, PowerClipLossConfig cfg]
            ? (phi, nodes, nodeMask, cfg)
            : throw new ArgumentException("ChunkedScores expects (φ, p, nodeMask, config)");
}
