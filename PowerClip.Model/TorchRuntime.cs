using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>Process-wide TorchSharp set-up: native library check, thread count, compute device.</summary>
public static class TorchRuntime
{
    /// <summary>Where the build's native-fix status line lives, next to libLibTorchSharp.so.</summary>
    public static string NativeFixStatusPath =>
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "torchsharp-native-fix.txt");

    /// <summary>The build's native-fix status ("applied: …", "skipped: …", "not-needed: …"), or why it is
    /// unknown.</summary>
    public static string NativeFixStatus =>
        File.Exists(NativeFixStatusPath)
            ? File.ReadAllText(NativeFixStatusPath).Trim()
            : OperatingSystem.IsLinux() ? "unknown: no status file in the build output" : "not-applicable: not Linux";

    /// <summary>
    /// Loads the native library by running one tiny operation; on failure throws an exception whose
    /// message names the likely cause instead of TorchSharp's opaque TypeInitializationException.
    /// </summary>
    public static void EnsureNativeLoaded()
    {
        MklCodePath.Apply();    // before libtorch's first matrix product: oneMKL fixes its code path then
        try
        {
            using var t = torch.ones(1);
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException)
        {
            var inner = e;
            while (inner.InnerException is not null) inner = inner.InnerException;
            throw new InvalidOperationException(
                "TorchSharp's native library could not be loaded (" + inner.Message.Split('\n')[0].Trim() + "). " +
                "On Linux with a libstdc++ older than GLIBCXX_3.4.32 (Debian 12, Ubuntu 22.04) the build must patch " +
                "libLibTorchSharp.so; native fix status: " + NativeFixStatus + ". Rebuild with `dotnet build` " +
                "(it needs patchelf and g++: scripts/ensure-tools.sh patchelf g++).", e);
        }
        MklCodePath.Confirm(() =>
        {
            using var a = torch.ones(8, 8);
            using var product = a.mm(a);
        });
    }

    /// <summary>Sets the intra-op thread count explicitly (libtorch's default can oversubscribe small
    /// machines).</summary>
    public static int SetThreads(int? threads)
    {
        var n = threads ?? Environment.ProcessorCount;
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(threads), $"threads must be >= 1, got {n}");
        torch.set_num_threads(n);
        return n;
    }

    /// <summary>Parses "auto" | "cpu" | "cuda" | "cuda:N"; auto picks CUDA when available, else CPU.</summary>
    public static Device ResolveDevice(string? spec)
    {
        var s = (spec ?? "auto").Trim().ToLowerInvariant();
        if (s is "auto" or "") return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
        if (s == "cpu") return torch.CPU;
        if (s == "cuda" || s.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
                throw new ArgumentException($"device '{spec}' requested but CUDA is not available (this build uses " +
                    "TorchBackend=cpu, or no GPU is visible)");
            var index = 0;
            if (s.Length > 4 && (!int.TryParse(s.AsSpan(5), out index) || index < 0))
                throw new ArgumentException($"device '{spec}' is not valid: expected cuda:N with N >= 0");
            if (index >= torch.cuda.device_count())
                throw new ArgumentException($"device '{spec}' does not exist: {torch.cuda.device_count()} CUDA " +
                    "device(s) visible");
            return new Device(DeviceType.CUDA, index);
        }
        throw new ArgumentException($"device '{spec}' is not valid: expected auto, cpu, cuda or cuda:N");
    }

    /// <summary>One-call set-up for programs and tests: native check, host allocator, threads, device.</summary>
    public static (Device Device, int Threads) Initialize(string? device, int? threads)
    {
        EnsureNativeLoaded();
        HostAllocator.KeepFreedMemory();
        var n = SetThreads(threads);
        return (ResolveDevice(device), n);
    }
}
