using PowerClip.Data;
using PowerClip.Model;
using PowerClip.Train.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Evaluation;

/// <summary>
/// S1[m, B] = ⟨φ_m, p_B⟩ of a trained model for given phrases, the quantity T2R selects regions by: φ_m the
/// normalised projected patch token of patch m (each patch its own region, as in <see cref="Grounding"/>),
/// p_B = Σ_{l∈B} ψ_l over the phrase's words (ψ_l the normalised sum of the word's token features). The
/// caption's own tree aligns words to tokens; a phrase with a word beyond the text context gets null.
/// The same definition serves every model (CLIP, FLIP, …, PowerCLIP), whatever loss trained it.
/// </summary>
public sealed class ModelPhraseSimilarity(TrainedModel model, int batchSize = 64) : IPhraseSimilarity
{
    private readonly ModelEncoder _images = new(model, batchSize);

    public IReadOnlyList<IReadOnlyList<float[]?>> Similarities(IReadOnlyList<GroundingQuery> queries)
    {
        var result = new List<IReadOnlyList<float[]?>>();
        foreach (var chunk in queries.Chunk(_images.BatchSize)) result.AddRange(Batch(chunk));
        return result;
    }

    private IEnumerable<IReadOnlyList<float[]?>> Batch(GroundingQuery[] queries)
    {
        var inputs = model.Inputs;
        var n = inputs.GridSize * inputs.GridSize;
        var prepared = queries.Select(Prepare).ToArray();
        var decoded = queries.Select(q => _images.LoadImage(q.ImagePath)).ToArray();
        // Each caption's nodes are its scorable phrases (a caption with none gets a dummy node, never read).
        var trees = prepared.Select(p => new CaptionTree(p.Caption.Loss.LeafSpans, p.Nodes.Count > 0 ? p.Nodes : [[0]]))
                            .ToArray();
        float[] s1;
        int t;
        using (torch.no_grad())
        using (var scope = torch.NewDisposeScope())
        {
            var images = inputs.ImageBatch(decoded, model.Device);
            var (_, patches) = model.Model.Visual.Encode(images);
            var phi = nn.functional.normalize(patches, dim: -1);                                            // [b, N, E]
            var tokens = inputs.TokenBatch(prepared.Select(p => p.Caption.Tokens).ToArray(), model.Device);
            var (_, feats, _) = model.Model.Text.Encode(tokens);
            using var phrases = PhraseBatch.Build(trees, inputs.ContextLength, device: model.Device);
            var nodes = PowerClipScores.NodeEmbeddings(phrases.LeafEmbeddings(feats), phrases.Membership);  // [b, T, E]
            var scores = torch.einsum("bnd,btd->btn", phi, nodes).contiguous().to(torch.float32).cpu();     // [b, T, N]
            t = (int)scores.shape[1];
            s1 = scores.data<float>().ToArray();
        }
        for (var b = 0; b < queries.Length; b++)
        {
            var row = new float[]?[queries[b].PhraseLeaves.Count];
            for (var p = 0; p < row.Length; p++)
                if (prepared[b].NodeOf[p] is var node and >= 0) row[p] = s1.AsSpan((b * t + node) * n, n).ToArray();
            yield return row;
        }
    }

    /// <summary>The caption with its tree, and each phrase's node (-1: a word was cut off by the context).</summary>
    private (PreparedCaption Caption, List<int[]> Nodes, int[] NodeOf) Prepare(GroundingQuery q)
    {
        PreparedCaption caption;
        try
        {
            var tree = PtbBrackets.Parse(q.Tree);
            TreeAlignment.AlignWords(CaptionText.Normalize(q.Caption), tree.Words);
            caption = TreeAlignment.Prepare(q.Caption, model.Tokenizer, q.Tree);
        }
        catch (FormatException e)
        {
            throw new BenchmarkDataException($"caption '{q.Caption}': its tree does not match: {e.Message}", e);
        }
        // Word i → loss leaf: the leaves TreeAlignment.ForLoss keeps (words with tokens, not punctuation), in order.
        var leafOf = new int[caption.Tree.LeafCount];
        for (int i = 0, next = 0; i < leafOf.Length; i++)
        {
            var (s, e) = caption.Tokens.WordSpans[i];
            leafOf[i] = e > s && !CaptionText.IsPunctuation(caption.Tree.Words[i]) ? next++ : -1;
        }
        var nodes = new List<int[]>();
        var nodeOf = q.PhraseLeaves.Select(words =>
        {
            if (words.Any(w => w < 0 || w >= leafOf.Length || leafOf[w] < 0)) return -1;
            nodes.Add(words.Select(w => leafOf[w]).ToArray());
            return nodes.Count - 1;
        }).ToArray();
        return (caption, nodes, nodeOf);
    }
}
