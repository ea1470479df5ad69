using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Benchmarks;

/// <summary>
/// AdamW (decoupled weight decay) written directly as in-place tensor operations, for comparison with
/// TorchSharp's optim.AdamW. Per parameter θ with gradient g, step t:
///   θ ← θ·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
///   θ ← θ − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε).
/// <see cref="Step"/> issues the same operations as TorchSharp's AdamW.step (so a difference is the
/// optimizer's own overhead); <see cref="StepNoAlloc"/> uses lerp_ for m and a preallocated buffer for the
/// denominator, so no tensor is allocated per step. Benchmark-local: the trainer uses TorchSharp's AdamW.
/// </summary>
public sealed class HandAdamW : IDisposable
{
    private readonly Tensor[] _params;
    private readonly Tensor[] _m, _v, _denom;
    private readonly double _lr, _beta1, _beta2, _eps, _wd;
    private long _t;

    public HandAdamW(IEnumerable<Tensor> parameters, double lr, double beta1, double beta2, double eps,
        double weightDecay)
    {
        _params = parameters.ToArray();
        _m = _params.Select(p => torch.zeros_like(p)).ToArray();
        _v = _params.Select(p => torch.zeros_like(p)).ToArray();
        _denom = _params.Select(p => torch.empty_like(p)).ToArray();
        (_lr, _beta1, _beta2, _eps, _wd) = (lr, beta1, beta2, eps, weightDecay);
    }

    public void Step()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        _t++;
        double bc1 = 1 - Math.Pow(_beta1, _t), bc2 = 1 - Math.Pow(_beta2, _t);
        for (var i = 0; i < _params.Length; i++)
        {
            var p = _params[i];
            var g = p.grad;
            if (g is null) continue;
            p.mul_(1 - _lr * _wd);
            _m[i].mul_(_beta1).add_(g, alpha: 1 - _beta1);
            _v[i].mul_(_beta2).addcmul_(g, g, value: 1 - _beta2);
            var denom = (_v[i].sqrt() / Math.Sqrt(bc2)).add_(_eps);
            p.addcdiv_(_m[i], denom, value: -_lr / bc1);
        }
    }

    public void StepNoAlloc()
    {
        using var scope = torch.NewDisposeScope();   // for the grad handles p.grad returns
        using var noGrad = torch.no_grad();
        _t++;
        double bc1 = 1 - Math.Pow(_beta1, _t), bc2 = 1 - Math.Pow(_beta2, _t);
        for (var i = 0; i < _params.Length; i++)
        {
            var p = _params[i];
            var g = p.grad;
            if (g is null) continue;
            p.mul_(1 - _lr * _wd);
            _m[i].lerp_(g, 1 - _beta1);
            _v[i].mul_(_beta2).addcmul_(g, g, value: 1 - _beta2);
            _denom[i].copy_(_v[i]).sqrt_().div_(Math.Sqrt(bc2)).add_(_eps);
            p.addcdiv_(_m[i], _denom[i], value: -_lr / bc1);
        }
    }

    public void Dispose()
    {
        foreach (var t in _m.Concat(_v).Concat(_denom)) t.Dispose();
    }
}
