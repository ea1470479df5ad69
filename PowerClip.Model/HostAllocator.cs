using System.Runtime.InteropServices;

namespace PowerClip.Model;

/// <summary>
/// glibc malloc settings for libtorch's CPU tensors. By default glibc serves blocks above a dynamic threshold with
/// mmap and returns freed memory at the top of the heap to the kernel, so every large tensor a step allocates again
/// (S1-sized chunks of the PowerCLIP loss: 16 MB each) arrives as fresh pages that the kernel must fault in and zero.
/// On the memory-bound loss that was most of the forward's time (tiny, B = 512: 385 ms → 160 ms, docs/performance.md).
/// Keeping freed memory in the process costs nothing but resident size up to the step's peak.
/// </summary>
public static class HostAllocator
{
    private const int TrimThreshold = -1, MmapThreshold = -3;   // mallopt parameters (malloc.h)
    private const int LargestHeapBlock = 32 << 20;               // glibc's ceiling for M_MMAP_THRESHOLD on 64-bit

    /// <summary>Applied once per process; false where this is not glibc (then nothing changes).</summary>
    public static bool KeepFreedMemory()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return mallopt(MmapThreshold, LargestHeapBlock) == 1 & mallopt(TrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);
}
