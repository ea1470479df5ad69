using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// One seeded synthetic batch at a model's shapes: random images, captions of <c>words</c> one-token words between
/// the start and end tokens, random phrase trees over them, M random boxes. The one generator behind the step
/// benchmark (`powerclip bench`), the BenchmarkDotNet suite and the model tests' memory and cost checks.
/// </summary>
public sealed record SyntheticBatch(Tensor Images, Tensor Tokens, Tensor Masks, PhraseBatch Phrases,
    CaptionTree[] Trees) : IDisposable
{
    public static SyntheticBatch Create(ClipConfig cfg, int batch, int regions, int words, int seed,
        Device? device = null)
    {
        var ctx = cfg.Text.ContextLength;
        if (words < 1 || words + 2 > ctx) throw new ArgumentException(
            $"{words} words do not fit the text context {ctx} (need 1 ≤ words ≤ context − 2)");
        var r = new Random(seed);
        var tokens = new long[batch * ctx];
        // [start, words…, end, 0…] as the tokenizers write it; the start token is the largest id that is not the end.
        long end = cfg.Text.EndId, start = end == cfg.Text.VocabSize - 1 ? end - 1 : cfg.Text.VocabSize - 1;
        for (var b = 0; b < batch; b++)
            for (var k = 0; k < ctx; k++)
                tokens[b * ctx + k] = k == 0 ? start : k <= words
                    ? Word(r.Next(1, Math.Min(49000, cfg.Text.VocabSize - 2)), end) : k == words + 1 ? end : 0;
        var trees = RandomTrees(r, batch, words);
        using var gen = new Generator((ulong)seed);
        var images = torch.randn([batch, 3, cfg.Vision.ImageSize, cfg.Vision.ImageSize], generator: gen).to(device
            ?? CPU);
        var masks = new RandomBoxSampler(cfg.Vision.GridSize, seed).Sample(batch, regions, device: device);
        return new SyntheticBatch(images, torch.tensor(tokens, [batch, ctx], device: device), masks,
            PhraseBatch.Build(trees, ctx, device: device), trees);
    }

    /// <summary>A word's token: any id but the end token, which would end the caption.</summary>
    private static long Word(int id, long end) => id == end ? 1 : id;

    /// <summary>
    /// Trees over <paramref name="words"/> one-token words (token positions 1..words, after the start token): the root
    /// plus random contiguous phrases of 2..words−1 words — exactly <paramref name="nodes"/> distinct nodes when given,
    /// else words − 2 draws with duplicates dropped (about a constituency parse's node count).
    /// </summary>
    public static CaptionTree[] RandomTrees(Random r, int batch, int words, int? nodes = null)
    {
        var spans = Enumerable.Range(0, words).Select(l => (1 + l, 2 + l)).ToArray();
        return Enumerable.Range(0, batch).Select(_ => new CaptionTree(spans, nodes is { } n
            ? ExactNodes(r, words, n) : DrawnNodes(r, words))).ToArray();
    }

    private static int[][] DrawnNodes(Random r, int words)
    {
        var nodes = new List<int[]> { Enumerable.Range(0, words).ToArray() };
        for (var k = 0; k < words - 2 && words >= 3; k++)
        {
            var len = r.Next(2, words);
            var start = r.Next(0, words - len + 1);
            nodes.Add(Enumerable.Range(start, len).ToArray());
        }
        return nodes.DistinctBy(n => string.Join(",", n)).ToArray();
    }

    private static int[][] ExactNodes(Random r, int words, int count)
    {
        var possible = (words - 1) * words / 2;   // the root and every span of 2..words−1 words: 1 + Σ_{k=2}^{w−1} k
        if (count < 1 || count > possible) throw new ArgumentException(
            $"{count} distinct nodes do not exist over {words} words (at most {possible})");
        var nodes = new List<int[]> { Enumerable.Range(0, words).ToArray() };
        while (nodes.Count < count)
        {
            var len = r.Next(2, words);
            var start = r.Next(0, words - len + 1);
            if (!nodes.Any(n => n.Length == len && n[0] == start)) nodes.Add(Enumerable.Range(start, len).ToArray());
        }
        return nodes.ToArray();
    }

    public void Dispose()
    {
        Images.Dispose(); Tokens.Dispose(); Masks.Dispose(); Phrases.Dispose();
    }
}
