using BenchmarkDotNet.Attributes;
using PowerClip.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Benchmarks;

/// <summary>
/// The two steps before the NLAs, forward only, at a preset's shapes (tiny: 16 patches, E = 32; small: 64
/// patches, E = 128): region pooling φ = normalize(R·v) from patch tokens v [B, N, E] and M = 10 random box
/// masks, and S1 = einsum("imd,jtd->ijmt", φ, p) with node embeddings p [B, 9, E].
/// </summary>
[MemoryDiagnoser]
public class PoolingBenchmarks : TorchBenchmark
{
    [Params("tiny", "small")]
    public string Preset { get; set; } = "tiny";

    [Params(64, 256)]
    public int Batch { get; set; } = 64;

    private Tensor? _patches, _masks, _phi, _nodes;

    [GlobalSetup]
    public void Setup()
    {
        SetUpTorch();
        var cfg = Presets.Load(Preset);
        var n = cfg.Vision.GridSize * cfg.Vision.GridSize;
        _patches = BenchData.UnitVectors([Batch, n, cfg.EmbedDim], BenchData.Seed);
        _masks = new RandomBoxSampler(cfg.Vision.GridSize, BenchData.Seed).Sample(Batch, BenchData.Regions);
        _phi = RegionPooling.Embed(_patches, _masks);
        _nodes = BenchData.UnitVectors([Batch, BenchData.Nodes, cfg.EmbedDim], BenchData.Seed + 1);
    }

    [Benchmark]
    public double RegionPoolingPhi()
    {
        using var scope = torch.NewDisposeScope();
        return Checksum(RegionPooling.Embed(_patches!, _masks!));
    }

    [Benchmark]
    public double S1Einsum()
    {
        using var scope = torch.NewDisposeScope();
        return Checksum(PowerClipScores.S1(_phi!, _nodes!));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _patches?.Dispose(); _masks?.Dispose(); _phi?.Dispose(); _nodes?.Dispose();
    }
}
