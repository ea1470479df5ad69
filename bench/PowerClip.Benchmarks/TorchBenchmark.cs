using BenchmarkDotNet.Attributes;
using PowerClip.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Benchmarks;

/// <summary>
/// Base of the TorchSharp benchmarks: the intra-op thread count as a parameter, the native-library check and
/// a fixed seed. Derived classes call <see cref="SetUpTorch"/> first in their [GlobalSetup] (BenchmarkDotNet
/// allows one per class), keep their tensors in fields and dispose them in [GlobalCleanup]; every benchmark
/// method opens its own DisposeScope. Methods return a small checksum of their result, read back with one
/// reduction, so the correctness guard (tests/PowerClip.Model.Tests, BenchmarkGuardTests) sees what was timed.
/// </summary>
public abstract class TorchBenchmark
{
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    protected void SetUpTorch()
    {
        TorchRuntime.EnsureNativeLoaded();
        TorchRuntime.SetThreads(Threads);
        torch.manual_seed(BenchData.Seed);
    }

    /// <summary>Σ of a result's entries as a double (one reduction and one read-back).</summary>
    protected static double Checksum(Tensor t) => t.sum().ToDouble();
}
