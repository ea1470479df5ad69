using BenchmarkDotNet.Attributes;
using PowerClip.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Benchmarks;

/// <summary>
/// S̄ = R2T + T2R from a fixed S1 [B, B, M = 10, |𝒯| = 9] (the `tiny` bench's head), forward only, τ = 1e-3:
/// NLA-T2 and NLA-T1 each on their own (what Combine did before the shared passes) against NlaBoth.
/// </summary>
[MemoryDiagnoser]
public class HeadForwardBenchmarks : TorchBenchmark
{
    [Params(64, 256)]
    public int Batch { get; set; } = 64;

    private readonly PowerClipLossConfig _cfg = new();
    private Tensor? _s1, _mask;

    [GlobalSetup]
    public void Setup()
    {
        SetUpTorch();
        _s1 = BenchData.S1(Batch);
        _mask = torch.ones([Batch, BenchData.Nodes], ScalarType.Bool);
    }

    [Benchmark(Baseline = true)]
    public double NlaT1PlusT2()
    {
        using var scope = torch.NewDisposeScope();
        return Checksum(PowerClipScores.NlaT2(_s1!, _mask!, _cfg.Tau, _cfg.LogCoshWeight) + PowerClipScores.NlaT1(_s1!, _mask!, _cfg.Tau));
    }

    [Benchmark]
    public double NlaBoth()
    {
        using var scope = torch.NewDisposeScope();
        return Checksum(PowerClipScores.NlaBoth(_s1!, _mask!, _cfg.Tau, _cfg.LogCoshWeight));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _s1?.Dispose(); _mask?.Dispose();
    }
}

/// <summary>
/// The exact powerset aggregation (ExactR2T + ExactT2R: 2^M = 1024 subsets, a [B, B, 1024, 9] intermediate per
/// term) against NlaBoth on the same S1, B = 64 only: at B = 256 the intermediate alone is 2.4 GB of float32.
/// </summary>
[MemoryDiagnoser]
public class HeadExactBenchmarks : TorchBenchmark
{
    [Params(64)]
    public int Batch { get; set; } = 64;

    private readonly PowerClipLossConfig _cfg = new();
    private Tensor? _s1, _mask;

    [GlobalSetup]
    public void Setup()
    {
        SetUpTorch();
        _s1 = BenchData.S1(Batch);
        _mask = torch.ones([Batch, BenchData.Nodes], ScalarType.Bool);
    }

    [Benchmark(Baseline = true)]
    public double NlaBoth()
    {
        using var scope = torch.NewDisposeScope();
        return Checksum(PowerClipScores.NlaBoth(_s1!, _mask!, _cfg.Tau, _cfg.LogCoshWeight));
    }

    [Benchmark]
    public double ExactR2TPlusT2R()
    {
        using var scope = torch.NewDisposeScope();
        return Checksum(PowerClipScores.ExactR2T(_s1!, _mask!, _cfg.MaxExactRegions) + PowerClipScores.ExactT2R(_s1!, _mask!, _cfg.MaxExactRegions));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _s1?.Dispose(); _mask?.Dispose();
    }
}
