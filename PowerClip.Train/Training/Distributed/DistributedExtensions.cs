using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PowerClip.Train.Training.Distributed;

/// <summary>What the trainer and losses build from the context's collectives.</summary>
public static class DistributedExtensions
{
    /// <summary>
    /// Copies rank 0's parameters and buffers to every rank (identical initialisation), after
    /// checking that every rank holds a model of the same size.
    /// </summary>
    public static void BroadcastModule(this IDistributedContext context, nn.Module module)
    {
        var tensors = module.parameters().Cast<Tensor>().Concat(module.buffers()).ToList();
        var elements = tensors.Sum(t => t.numel());
        var counts = context.AllGather(tensors.Count);
        var sizes = context.AllGather(elements);
        for (var r = 0; r < context.Size; r++)
            if (counts[r] != tensors.Count || sizes[r] != elements)
                throw new InvalidOperationException(
                    $"rank {r} holds a model of {counts[r]} tensors / {sizes[r]} values, rank {context.Rank} one of " +
                        $"{tensors.Count} / {elements}: every rank must build the same model");
        context.Broadcast(tensors);
    }

    /// <summary>
    /// Sums the gradients over ranks, in place (a parameter without a gradient counts as zeros, so
    /// every rank takes part in the same buckets).
    /// </summary>
    public static void AllReduceGradients(this IDistributedContext context, IReadOnlyList<Parameter> parameters)
    {
        if (context.Size == 1) return;
        using var noGrad = no_grad();
        var grads = new List<Tensor>(parameters.Count);
        foreach (var p in parameters)
        {
            if (p.grad is null) p.grad = zeros_like(p);
            grads.Add(p.grad!);
        }
        context.AllReduceSum(grads);
    }
}
