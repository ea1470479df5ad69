using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// One caption's tree for the loss: each leaf (word) is a half-open span [Start, End) of BPE token
/// positions in the tokenized caption; each node is a set of leaf indices.
/// </summary>
public sealed record CaptionTree(IReadOnlyList<(int Start, int End)> LeafSpans, IReadOnlyList<int[]> Nodes);

/// <summary>
/// A batch of caption trees as tensors, padded to the batch's largest leaf count L and node count T:
/// LeafTokens [B, L, S] (token k belongs to word l), LeafMask [B, L], Membership [B, L, T] (leaf l ∈ node B),
/// NodeMask [B, T].
/// </summary>
public sealed record PhraseBatch(Tensor LeafTokens, Tensor LeafMask, Tensor Membership, Tensor NodeMask) : IDisposable
{
    public long Batch => LeafMask.shape[0];

    /// <summary>Builds the tensors; throws an ArgumentException naming the sample on an empty or malformed
    /// tree.</summary>
    /// <param name="sequenceLength">S, the token positions of the tokenized captions</param>
    public static PhraseBatch Build(IReadOnlyList<CaptionTree> trees, int sequenceLength,
        ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        if (trees.Count == 0) throw new ArgumentException("phrase batch: no trees");
        for (var b = 0; b < trees.Count; b++) Validate(trees[b], b, sequenceLength);
        int bsz = trees.Count, l = trees.Max(t => t.LeafSpans.Count), tn = trees.Max(t => t.Nodes.Count);
        var leafTokens = new float[bsz * l * sequenceLength];
        var leafMask = new bool[bsz * l];
        var membership = new float[bsz * l * tn];
        var nodeMask = new bool[bsz * tn];
        for (var b = 0; b < bsz; b++)
        {
            var tree = trees[b];
            for (var i = 0; i < tree.LeafSpans.Count; i++)
            {
                leafMask[b * l + i] = true;
                for (var k = tree.LeafSpans[i].Start; k < tree.LeafSpans[i].End; k++) leafTokens[
                    (b * l + i) * sequenceLength + k] = 1f;
            }
            for (var t = 0; t < tree.Nodes.Count; t++)
            {
                nodeMask[b * tn + t] = true;
                foreach (var leaf in tree.Nodes[t]) membership[(b * l + leaf) * tn + t] = 1f;
            }
        }
        return new PhraseBatch(
            torch.tensor(leafTokens, [bsz, l, sequenceLength], dtype: dtype, device: device),
            torch.tensor(leafMask, [bsz, l], device: device),
            torch.tensor(membership, [bsz, l, tn], dtype: dtype, device: device),
            torch.tensor(nodeMask, [bsz, tn], device: device));
    }

    private static void Validate(CaptionTree tree, int b, int sequenceLength)
    {
        if (tree.LeafSpans.Count == 0) throw new ArgumentException($"caption tree of sample {b} is empty (no leaves)");
        if (tree.Nodes.Count == 0) throw new ArgumentException($"caption tree of sample {b} has no nodes");
        for (var i = 0; i < tree.LeafSpans.Count; i++)
        {
            var (s, e) = tree.LeafSpans[i];
            if (s < 0 || e <= s || e > sequenceLength)
                throw new ArgumentException($"caption tree of sample {b}: leaf {i} has token span [{s}, {e}), which " +
                    $"is empty or outside [0, {sequenceLength})");
        }
        for (var t = 0; t < tree.Nodes.Count; t++)
        {
            var node = tree.Nodes[t];
            if (node.Length == 0) throw new ArgumentException($"caption tree of sample {b}: node {t} has no leaves");
            foreach (var leaf in node)
                if (leaf < 0 || leaf >= tree.LeafSpans.Count)
                    throw new ArgumentException($"caption tree of sample {b}: node {t} names leaf {leaf}, but the " +
                        $"tree has {tree.LeafSpans.Count} leaves");
            if (node.Distinct().Count() != node.Length) throw new ArgumentException(
                $"caption tree of sample {b}: node {t} repeats a leaf");
        }
    }

    /// <summary>Leaf embeddings ψ_l = normalize(Σ_{k∈word l} t_k) [B, L, E]; padded leaves are zero vectors.</summary>
    public Tensor LeafEmbeddings(Tensor tokenFeatures)
    {
        InputChecks.Shape(tokenFeatures, "token features", Batch, LeafTokens.shape[2], -1);
        using var scope = torch.NewDisposeScope();
        var summed = torch.matmul(LeafTokens.to(tokenFeatures.dtype, tokenFeatures.device), tokenFeatures);
        return nn.functional.normalize(summed, dim: -1).MoveToOuterDisposeScope();
    }

    /// <summary>The "no tree" ablation: every word is its own node (identity membership over the valid leaves), no
    /// phrase nodes.</summary>
    public (Tensor Membership, Tensor NodeMask) LeavesAsNodes(ScalarType dtype)
    {
        var eye = torch.eye(LeafMask.shape[1], dtype: dtype, device: LeafMask.device).unsqueeze(0);
        return (eye * LeafMask.unsqueeze(-1).to(dtype), LeafMask.alias());
    }

    public void Dispose()
    {
        LeafTokens.Dispose(); LeafMask.Dispose(); Membership.Dispose(); NodeMask.Dispose();
    }
}
