using BenchmarkDotNet.Attributes;
using PowerClip.Spec;

namespace PowerClip.Benchmarks;

/// <summary>
/// The F# specification (PowerClip.Math, float64, one image–caption pair, plain loops): the exact powerset
/// aggregations Q→ (r2tExact) and Q← (t2rExact), which enumerate 2^M subsets, against NLA-T2 and NLA-T1,
/// linear in M; S0 is M × 10 words, the tree has 9 nodes, τ = 1e-3, ζ = 0.75 (default reading). Managed code
/// only, so no thread parameter.
/// </summary>
[MemoryDiagnoser]
public class SpecBenchmarks
{
    [Params(10, 16)]
    public int M { get; set; } = 10;

    private double[,] _s0 = new double[0, 0];
    private ParseTree _tree = new(1, [[0]]);

    [GlobalSetup]
    public void Setup()
    {
        var r = new Random(BenchData.Seed);
        _s0 = new double[M, BenchData.Words];
        for (var m = 0; m < M; m++)
            // cosines in [−0.3, 0.3]
            for (var l = 0; l < BenchData.Words; l++) _s0[m, l] = 0.6 * (r.NextDouble() - 0.5);
        var tree = BenchData.Trees(1)[0];
        _tree = new ParseTree(BenchData.Words, tree.Nodes.Select(n => n.ToArray()).ToArray());
    }

    [Benchmark(Baseline = true)]
    public double NlaT1() => Nla.t1(BenchData.Tau, _s0, _tree);

    [Benchmark]
    public double NlaT2() => Nla.t2(BenchData.Tau, Nla.defaultZeta, Nla.defaultReading, _s0, _tree);

    [Benchmark]
    public double ExactT2R() => Powerset.t2rExact(_s0, _tree);

    [Benchmark]
    public double ExactR2T() => Powerset.r2tExact(_s0, _tree);
}
