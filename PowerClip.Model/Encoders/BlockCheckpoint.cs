using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace PowerClip.Model;

/// <summary>
/// Activation checkpointing of one transformer block (torch.utils.checkpoint, which TorchSharp lacks): the forward
/// runs the block without autograd and keeps only its input; the backward reruns the block's forward with autograd,
/// under the same CPU random-number state and the same <see cref="Autocast"/> precision as the first run, and
/// back-propagates the incoming gradient through it to the input and to every parameter of the block. Memory per
/// block falls from all its activations to its input, for a second forward in the backward (≈ 4/3 the compute).
/// The block's parameters are inputs of this function, so their gradients reach .grad through the autograd engine
/// as for any other op (accumulation and the trainer's all-reduce are unchanged).
/// </summary>
/// <remarks>
/// Random numbers: the block's dropout is 0 in every preset, so no random number is drawn inside a block; the CPU
/// generator's state is still saved and restored around the recomputation so that a block that does draw gets the
/// same mask twice and leaves the generator as it found it. TorchSharp 0.107 exposes no CUDA generator state: a
/// block that draws random numbers on a GPU would not be recomputed exactly (untested here; no GPU).
/// </remarks>
public sealed class BlockCheckpoint : SingleTensorFunction<BlockCheckpoint>
{
    public override string Name => "BlockCheckpoint";

    /// <summary>Number of recomputations so far (tests check that checkpointing really ran).</summary>
    public static long Recomputations => Interlocked.Read(ref _recomputations);
    private static long _recomputations;

    /// <summary>block(x, mask), keeping only x for the backward.</summary>
    public static Tensor Apply(ResidualAttentionBlock block, Tensor x, Tensor? mask)
    {
        object[] vars = [x, mask!, new Saved(block, Autocast.Current), .. block.parameters()];
        return apply(vars);
    }

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var (x, mask, saved) = ((Tensor)vars[0], vars[1] as Tensor, (Saved)vars[2]);
        ctx.save_for_backward(mask is null ? [x] : [x, mask]);
        ctx.save_data("block", saved with { Rng = torch.get_rng_state().data<byte>().ToArray() });
        return saved.Block.forward(x, mask);
    }

    public override List<Tensor> backward(AutogradContext ctx, Tensor gradOutput)
    {
        // The engine calls this outside any of our dispose scopes: without one, the recomputed activations (held by
        // `output`'s graph) would live until the garbage collector ran, and checkpointing would save nothing.
        using var scope = torch.NewDisposeScope();
        var tensors = ctx.get_saved_variables();
        var (x, mask) = (tensors[0], tensors.Count > 1 ? tensors[1] : null);
        var saved = (Saved)ctx.get_data("block");
        var parameters = saved.Block.parameters().Cast<Tensor>().ToArray();
        var after = torch.get_rng_state();
        try
        {
            torch.set_rng_state(torch.tensor(saved.Rng!, ScalarType.Byte));
            Interlocked.Increment(ref _recomputations);
            using var grad = torch.enable_grad();
            using var precision = Autocast.Enter(saved.Compute);
            var input = x.detach().requires_grad_(true);
            var output = saved.Block.forward(input, mask);
            var grads = torch.autograd.grad([output], [input, .. parameters], [gradOutput]);
            foreach (var g in grads) g.DetachFromDisposeScope();   // handed to the engine, which keeps them
            return [grads[0], null!, null!, .. grads.Skip(1)];
        }
        finally
        {
            torch.set_rng_state(after);
        }
    }

    /// <summary>
    /// What the backward needs besides tensors: the block, the forward's precision and its RNG state.
    /// </summary>
    private sealed record Saved(ResidualAttentionBlock Block, ScalarType? Compute, byte[]? Rng = null);
}
