using BenchmarkDotNet.Attributes;
using PowerClip.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Benchmarks;

/// <summary>A fixed S1 [B, B, M = 10, |𝒯| = 9] with all nodes valid, made once per benchmark case, and the loss's
/// defaults.</summary>
public abstract class HeadBenchmark : TorchBenchmark
{
    protected PowerClipLossConfig Cfg { get; } = new();
    protected Tensor S1 { get; private set; } = null!;
    protected Tensor Mask { get; private set; } = null!;

    /// <summary>The batch B of the benchmark case (its [Params] property).</summary>
    public abstract int BatchSize { get; }

    [GlobalSetup]
    public void Setup()
    {
        SetUpTorch();
        S1 = BenchData.S1(BatchSize);
        Mask = torch.ones([BatchSize, BenchData.Nodes], ScalarType.Bool);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        S1?.Dispose(); Mask?.Dispose();
    }
}

/// <summary>
/// S̄ = R2T + T2R from a fixed S1 [B, B, M = 10, |𝒯| = 9] (the `tiny` bench's head), forward only, τ = 1e-3:
/// NLA-T2 and NLA-T1 each on their own (what Combine did before the shared passes) against NlaBoth.
/// </summary>
[MemoryDiagnoser]
public class HeadForwardBenchmarks : HeadBenchmark
{
    [Params(64, 256)]
    public int Batch { get; set; } = 64;

    public override int BatchSize => Batch;

    [Benchmark(Baseline = true)]
    public double NlaT1PlusT2()
    {
        using var scope = torch.NewDisposeScope();
        return Checksum(PowerClipScores.NlaT2(S1, Mask, Cfg) + PowerClipScores.NlaT1(S1, Mask, Cfg.Tau));
    }

    [Benchmark]
    public double NlaBoth()
    {
        using var scope = torch.NewDisposeScope();
        return Checksum(PowerClipScores.NlaBoth(S1, Mask, Cfg));
    }
}

/// <summary>
/// The exact powerset aggregation (ExactR2T + ExactT2R: 2^M = 1024 subsets, a [B, B, 1024, 9] intermediate per
/// term) against NlaBoth on the same S1, B = 64 only: at B = 256 the intermediate alone is 2.4 GB of float32.
/// </summary>
[MemoryDiagnoser]
public class HeadExactBenchmarks : HeadBenchmark
{
    [Params(64)]
    public int Batch { get; set; } = 64;

    public override int BatchSize => Batch;

    [Benchmark(Baseline = true)]
    public double NlaBoth()
    {
        using var scope = torch.NewDisposeScope();
        return Checksum(PowerClipScores.NlaBoth(S1, Mask, Cfg));
    }

    [Benchmark]
    public double ExactR2TPlusT2R()
    {
        using var scope = torch.NewDisposeScope();
        return Checksum(PowerClipScores.ExactR2T(S1, Mask, Cfg.MaxExactRegions)
            + PowerClipScores.ExactT2R(S1, Mask, Cfg.MaxExactRegions));
    }
}
