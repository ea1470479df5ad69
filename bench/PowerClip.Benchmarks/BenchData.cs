using PowerClip.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Benchmarks;

/// <summary>Seeded inputs at the `tiny` bench's shapes: M = 10 regions, 10-word captions, |𝒯| = 9 phrase
/// nodes.</summary>
public static class BenchData
{
    public const int Seed = 7;
    public const int Regions = 10;
    public const int Words = 10;
    public const int Nodes = 9;
    public const double Tau = 1e-3;

    /// <summary>S1 [B, B, M, |𝒯|] with cosine sums in [−3, 3] (N(0, 1) clamped), float32.</summary>
    public static Tensor S1(int batch, int regions = Regions, int nodes = Nodes)
    {
        using var gen = new Generator(Seed);
        return torch.randn([batch, batch, regions, nodes], generator: gen).clamp_(-3, 3);
    }

    /// <summary>Unit vectors [shape…, E] (random directions), float32.</summary>
    public static Tensor UnitVectors(long[] shape, int seed)
    {
        using var gen = new Generator((ulong)seed);
        return nn.functional.normalize(torch.randn(shape, generator: gen), dim: -1);
    }

    /// <summary>
    /// Caption trees of <see cref="Words"/> one-token words (token positions 1..Words, after the start token)
    /// with exactly <see cref="Nodes"/> nodes: the root plus distinct random contiguous phrases of 2..Words−1 words.
    /// </summary>
    public static CaptionTree[] Trees(int batch) => SyntheticBatch.RandomTrees(new Random(Seed), batch, Words, Nodes);
}
