using System.Diagnostics;
using PowerClip.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Performance;

/// <summary>One (method, M) point: forward time and the largest intermediate per image–caption pair.</summary>
public sealed record ComplexityPoint(string Method, int Regions, int Pairs, double MicrosecondsPerPair,
    double BytesPerPair);

/// <summary>
/// The complexity claim: S̄ from S1 [P, 1, M, T] by exact enumeration of the 2^M region subsets
/// (PowerClipScores.ExactR2T + ExactT2R) against the NLAs (NlaT2 + NlaT1), float32 forward, P pairs per call
/// (as many as keep the largest intermediate near 2^24 entries), median of several calls.
/// </summary>
public static class ComplexityTimer
{
    private const long TargetEntries = 1L << 24;

    public static ComplexityPoint Measure(string method, int regions, int nodes, int repeats, Device device)
    {
        var exact = method == "exact";
        double perPairEntries = (exact ? Math.Pow(2, regions) : regions) * nodes;
        var pairs = (int)Math.Clamp(TargetEntries / perPairEntries, 1, 4096);
        var cfg = new PowerClipLossConfig { Aggregation = exact ? PowersetAggregation.Exact : PowersetAggregation.Nla,
            MaxExactRegions = 24 };
        using var scope = torch.NewDisposeScope();
        var gen = new Generator(7);
        // CLIP-like cosines summed over a few leaves per node.
        var s1 = (0.2 * torch.randn([pairs, 1, regions, nodes], generator: gen)).to(device);
        var nodeMask = torch.ones([1, nodes], dtype: ScalarType.Bool, device: device);
        Tensor Run()
        {
            using var inner = torch.NewDisposeScope();
            var r = PowerClipScores.Combine(s1, nodeMask, cfg);
            if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);
            return r.MoveToOuterDisposeScope();
        }
        Run().Dispose();
        var times = new List<double>();
        for (var k = 0; k < repeats; k++)
        {
            var sw = Stopwatch.StartNew();
            Run().Dispose();
            times.Add(sw.Elapsed.TotalMilliseconds * 1000 / pairs);
        }
        // Exact: the subset scores Q [2^M, T] dominate; NLAs: a few S1-sized [M, T] temporaries (counted as 4).
        var bytes = exact ? 4.0 * (Math.Pow(2, regions) * nodes
            + Math.Pow(2, regions) * regions / (double)pairs) : 4.0 * 4 * regions * nodes;
        return new ComplexityPoint(method, regions, pairs, StepTimer.Median(times), bytes);
    }

    /// <summary>Least-squares slope and intercept of y on x.</summary>
    public static (double Slope, double Intercept, double R2) Fit(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        double mx = x.Average(), my = y.Average();
        double sxy = x.Zip(y, (a, b) => (a - mx) * (b - my)).Sum(), sxx = x.Sum(a => (a - mx) * (a - mx)),
            syy = y.Sum(b => (b - my) * (b - my));
        var slope = sxy / sxx;
        return (slope, my - slope * mx, syy == 0 ? 1 : sxy * sxy / (sxx * syy));
    }
}
