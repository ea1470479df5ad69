using BenchmarkDotNet.Attributes;
using PowerClip.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Benchmarks;

/// <summary>
/// One AdamW step on the `tiny` preset's parameters (1.62M, 97 % of them the token embedding) with the
/// trainer's settings (β = 0.9/0.98, ε = 1e-6, wd 0.2; lr 1e-4): TorchSharp's optim.AdamW against HandAdamW.
/// The gradients are set once (seeded random values) and stay fixed; each invocation is one more step.
/// </summary>
[MemoryDiagnoser]
public class AdamWBenchmarks : TorchBenchmark
{
    public const double Lr = 1e-4, Beta1 = 0.9, Beta2 = 0.98, Eps = 1e-6, WeightDecay = 0.2;

    private ClipModel? _model;
    private optim.Optimizer? _torchAdamW;
    private HandAdamW? _hand;

    [GlobalSetup]
    public void Setup()
    {
        SetUpTorch();
        _model = new ClipModel(Presets.Load("tiny"));
        var parameters = _model.parameters().ToArray();
        using (var scope = torch.NewDisposeScope())
        {
            // Gradients once, through autograd: ∂/∂θ Σ θ·r = r, with r ~ N(0, 1e-4) per entry.
            using var gen = new Generator(BenchData.Seed);
            var loss = parameters.Select(p => (p * (1e-2 * torch.randn(p.shape, generator: gen))).sum())
                .Aggregate((a, b) => a + b);
            loss.backward();
        }
        _torchAdamW = optim.AdamW(parameters, Lr, Beta1, Beta2, Eps, WeightDecay);
        _hand = new HandAdamW(parameters, Lr, Beta1, Beta2, Eps, WeightDecay);
    }

    /// <summary>The parameters, for the correctness guard.</summary>
    public IReadOnlyList<Tensor> Parameters => _model!.parameters().ToArray();

    [Benchmark(Baseline = true)]
    public void TorchSharpAdamW()
    {
        using var scope = torch.NewDisposeScope();
        _torchAdamW!.step();
    }

    [Benchmark]
    public void HandInPlace()
    {
        using var scope = torch.NewDisposeScope();
        _hand!.Step();
    }

    [Benchmark]
    public void HandNoAlloc()
    {
        using var scope = torch.NewDisposeScope();
        _hand!.StepNoAlloc();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _torchAdamW?.Dispose(); _hand?.Dispose(); _model?.Dispose();
    }
}
