using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Training.Distributed;

/// <summary>The device of a rank: cuda:LocalRank when GPUs are present (several ranks share one when there are fewer
/// GPUs than ranks), else the CPU.</summary>
public static class DistributedDevice
{
    public static Device For(int localRank) =>
        cuda.is_available() ? new Device(DeviceType.CUDA, localRank % Math.Max(1, cuda.device_count())) : CPU;
}
