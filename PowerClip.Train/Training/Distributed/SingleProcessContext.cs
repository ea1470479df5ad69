using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Training.Distributed;

/// <summary>One process: rank 0 of 1, every collective the identity. The trainer's default.</summary>
public sealed class SingleProcessContext : IDistributedContext
{
    public static readonly SingleProcessContext Instance = new();

    public int Rank => 0;
    public int Size => 1;
    public int LocalRank => 0;
    public bool IsMain => true;
    public Device Device => DistributedDevice.For(0);
    public TimeSpan CommunicationTime => TimeSpan.Zero;

    public void Broadcast(IReadOnlyList<Tensor> tensors, int root = 0) => CheckRoot(root);

    public void AllReduceSum(IReadOnlyList<Tensor> tensors) { }

    public Tensor AllGather(Tensor local) => local;

    public Tensor AllGatherWithGrad(Tensor local) => local;

    public double[] AllGather(double value) => [value];

    public void Abort(int exitCode) => Environment.Exit(exitCode);

    public void Dispose() { }

    private static void CheckRoot(int root)
    {
        if (root != 0) throw new ArgumentOutOfRangeException(nameof(root),
            $"root rank {root} does not exist in a job of 1 process");
    }
}
