using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// The arithmetic of the encoders' transformer blocks (the loss head always computes in the model's dtype).
/// </summary>
public enum Precision
{
    /// <summary>Everything in float32.</summary>
    Fp32,
    /// <summary>
    /// The blocks' matmuls (attention projections, QKᵀ, attention·V, MLP) in bfloat16; float32 master weights.
    /// </summary>
    Bf16,
}

/// <summary>
/// torch.autocast for the transformer blocks (TorchSharp has none): inside <see cref="Enter"/> with
/// <see cref="Precision.Bf16"/>, <see cref="Linear"/> and <see cref="MatMul"/> cast their float32 operands —
/// activations and the float32 master weights alike — to bfloat16 for the product, as autocast casts per op.
/// The cast is an autograd op, so the backward runs the products in bfloat16 too and converts each weight's
/// gradient back to float32 on its way into the master's .grad; the optimizer and its state never see bfloat16.
/// LayerNorm, softmax and the residual stream stay float32 (autocast's float32 list; a bfloat16 result added to
/// the float32 residual promotes to float32). Why per-op casts rather than a bfloat16 copy of the weights kept per
/// step: the cast is autocast's own mechanism, needs no copy to keep in sync with the optimizer, and its memory is
/// the same — each bfloat16 weight lives from its use until the backward that needs it.
/// Loss scaling is not needed: bfloat16 has float32's 8-bit exponent, so gradients that fit float32 do not
/// underflow (fp16's 5-bit exponent is why autocast pairs fp16 with GradScaler).
/// </summary>
public static class Autocast
{
    [ThreadStatic] private static ScalarType? _compute;

    /// <summary>The names the command line and config files use (fp32, bf16).</summary>
    public static SettingNames<Precision> Names { get; } =
        new("precision", [("fp32", Precision.Fp32), ("bf16", Precision.Bf16)]);

    /// <summary>The reduced dtype in effect on this thread, or null (full precision).</summary>
    public static ScalarType? Current => _compute;

    /// <summary>
    /// Runs the blocks in <paramref name="precision"/> until the returned scope is disposed (scopes nest).
    /// </summary>
    public static IDisposable Enter(Precision precision) =>
        Enter(precision == Precision.Bf16 ? ScalarType.BFloat16 : null);

    /// <summary>
    /// As <see cref="Enter(Precision)"/> with the dtype itself (a checkpoint's backward restores its forward's).
    /// </summary>
    public static IDisposable Enter(ScalarType? compute)
    {
        var previous = _compute;
        _compute = compute;
        return new Scope(previous);
    }

    /// <summary>
    /// x Wᵀ + b, in the reduced dtype when one is in effect and x is float32 (float64 models are left alone).
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias) =>
        Reduced(x) is { } t
            ? nn.functional.linear(x.to(t), weight.to(t), bias?.to(t))
            : nn.functional.linear(x, weight, bias);

    /// <summary>a @ b, in the reduced dtype when one is in effect and either operand is float32.</summary>
    public static Tensor MatMul(Tensor a, Tensor b) =>
        (Reduced(a) ?? Reduced(b)) is { } t ? torch.matmul(a.to(t), b.to(t)) : torch.matmul(a, b);

    /// <summary>Softmax in float32 (autocast's rule for softmax), whatever the input's dtype.</summary>
    public static Tensor Softmax(Tensor x, long dim) =>
        Reduced(x) is null ? x.softmax(dim) : x.softmax(dim, ScalarType.Float32);

    private static ScalarType? Reduced(Tensor x) =>
        _compute is { } t && (x.dtype == ScalarType.Float32 || x.dtype == t) ? t : null;

    private sealed class Scope(ScalarType? previous) : IDisposable
    {
        public void Dispose() => _compute = previous;
    }
}
