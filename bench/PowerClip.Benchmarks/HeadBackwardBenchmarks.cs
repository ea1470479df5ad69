using BenchmarkDotNet.Attributes;
using PowerClip.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Benchmarks;

/// <summary>
/// The hardest-negative triplet on S̄ = PowerClipLoss.Scores(φ, ψ) (both directions, as the loss uses it) at the
/// `tiny` shapes (E = 32, M = 10, 10 words, |𝒯| = 9), forward only against forward + backward to φ and ψ.
/// With the default ChunkElements (2^22) B = 64 runs on plain autograd and B = 256 through ChunkedScores,
/// whose backward recomputes each chunk's forward.
/// </summary>
[MemoryDiagnoser]
public class HeadBackwardBenchmarks : TorchBenchmark
{
    private const int Embed = 32;
    private const int Context = 16;

    [Params(64, 256)]
    public int Batch { get; set; } = 64;

    private readonly PowerClipLoss _loss = new(new PowerClipLossConfig());
    private Tensor? _phi, _psi;
    private PhraseBatch? _phrases;

    [GlobalSetup]
    public void Setup()
    {
        SetUpTorch();
        _phrases = PhraseBatch.Build(BenchData.Trees(Batch), Context);
        _phi = BenchData.UnitVectors([Batch, BenchData.Regions, Embed], BenchData.Seed).requires_grad_(true);
        using var tokens = BenchData.UnitVectors([Batch, Context, Embed], BenchData.Seed + 1);
        _psi = _phrases.LeafEmbeddings(tokens).requires_grad_(true);
    }

    private Tensor Triplet()
    {
        var s = _loss.Scores(_phi!, _psi!, _phrases!);
        return TripletLoss.Hardest(s, _loss.Config.Delta) + TripletLoss.Hardest(s.t(), _loss.Config.Delta);
    }

    [Benchmark(Baseline = true)]
    public double Forward()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        return Triplet().ToDouble();
    }

    /// <summary>The loss plus the sums of its gradients to φ and ψ (autograd.grad: nothing accumulates between
    /// invocations).</summary>
    [Benchmark]
    public double ForwardBackward()
    {
        using var scope = torch.NewDisposeScope();
        var loss = Triplet();
        var grads = torch.autograd.grad([loss], [_phi!, _psi!]);
        return loss.ToDouble() + Checksum(grads[0].abs()) + Checksum(grads[1].abs());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _phi?.Dispose(); _psi?.Dispose(); _phrases?.Dispose();
    }
}
