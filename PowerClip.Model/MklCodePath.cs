using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;
using System.Text.RegularExpressions;

namespace PowerClip.Model;

/// <summary>
/// [ours] Which kernels the oneMKL inside libtorch_cpu.so uses for float32 matrix products on the CPU. oneMKL picks
/// its code path by CPU vendor: on a non-Intel CPU it takes a generic path even where the CPU has AVX-512, and on
/// an AMD EPYC (Zen 4) that path's SGEMM takes ~18 % more time than oneMKL's own AVX-512 kernels on the `small` step's
/// products (docs/performance.md, "The CPU matmul gap"). Where the CPU has the instructions, the build's
/// libpowerclip_mkl_dispatch.so (build/MklDispatch.targets) answers oneMKL's CPU query instead; it must be in the
/// process before the first matrix product, so <see cref="TorchRuntime"/> applies this before libtorch runs.
/// <para><c>POWERCLIP_MKL_CODE_PATH</c>: <c>auto</c> (default: AVX-512 on non-Intel CPUs with AVX-512 F/CD/BW/DQ/VL
/// and a verified oneMKL, otherwise oneMKL's own choice), <c>native</c> (always oneMKL's own choice, the library is not
/// loaded), <c>avx512</c> or <c>avx2</c> (forced on any CPU that has the instructions).</para>
/// </summary>
public static class MklCodePath
{
    public const string Variable = "POWERCLIP_MKL_CODE_PATH";
    public const string LibraryFile = "libpowerclip_mkl_dispatch.so";

    /// <summary>oneMKL versions whose CPU-type numbering was read from libtorch_cpu.so (5: AVX2, 7: AVX-512).</summary>
    public static readonly IReadOnlyList<string> VerifiedVersions = ["2024.2"];

    private const int Avx2Type = 5, Avx512Type = 7;
    private const int RtldNow = 2, RtldGlobal = 0x100;
    private static readonly Lock Gate = new();
    private static string? status;
    private static IntPtr library;

    private static string NativeDir => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");

    /// <summary>What the build did: "built: …" or "skipped: …" (build/mkl-dispatch/build-mkl-dispatch.sh).
    /// </summary>
    public static string BuildStatus
    {
        get
        {
            var path = Path.Combine(NativeDir, "mkl-dispatch-build.txt");
            return File.Exists(path)
                ? File.ReadAllText(path).Trim()
                : "unknown: no mkl-dispatch-build.txt in the build output";
        }
    }

    /// <summary>One line: applied | skipped | off | not-applicable | inactive, and why.</summary>
    public static string Status
    {
        get { lock (Gate) return status ?? "not applied yet: TorchRuntime has not run"; }
    }

    /// <summary>True when oneMKL's CPU query is answered by the override with a forced code path.</summary>
    public static bool Applied => Status.StartsWith("applied:", StringComparison.Ordinal);

    /// <summary>How often oneMKL asked the override for the CPU type (0 when it is not loaded).</summary>
    public static long Consulted() => library == IntPtr.Zero ? 0 : Export<CountFn>("powerclip_mkl_consulted")();

    /// <summary>oneMKL's own answer to its CPU query (-1 when the override or libtorch_cpu.so is not loaded).</summary>
    public static int OwnCpuType() => library == IntPtr.Zero ? -1 : Export<TypeFn>("powerclip_mkl_own_cpu_type")();

    /// <summary>Decides and loads once per process, before libtorch's first matrix product; returns the status.
    /// </summary>
    /// <exception cref="ArgumentException">The variable names no known path, or one this CPU cannot run.</exception>
    public static string Apply()
    {
        lock (Gate) return status ??= Decide(Environment.GetEnvironmentVariable(Variable));
    }

    /// <summary>
    /// After libtorch is loaded: if the override is applied but oneMKL has not asked it yet, runs one small product
    /// and checks again. If oneMKL still never asked, it had chosen before the override was loaded.
    /// </summary>
    public static string Confirm(Action matrixProduct)
    {
        lock (Gate)
        {
            if (status is null || !status.StartsWith("applied:", StringComparison.Ordinal) || Consulted() > 0)
                return Status;
            matrixProduct();
            if (Consulted() == 0)
                status = "inactive: oneMKL chose its code path before the override was loaded " +
                         "(a matrix product ran before TorchRuntime); it keeps its own choice";
            return status;
        }
    }

    /// <summary>The variable's value as a mode: auto (also when unset), native, avx512 or avx2.</summary>
    /// <exception cref="ArgumentException">The value names none of them.</exception>
    public static string ParseMode(string? setting)
    {
        var mode = string.IsNullOrWhiteSpace(setting) ? "auto" : setting.Trim().ToLowerInvariant();
        return mode is "auto" or "native" or "avx512" or "avx2"
            ? mode
            : throw new ArgumentException($"{Variable} must be auto, native, avx512 or avx2, got '{setting}'");
    }

    private static string Decide(string? setting)
    {
        var mode = ParseMode(setting);
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return $"not-applicable: the override exists for Linux x64 only ({RuntimeInformation.RuntimeIdentifier})";
        if (mode == "native") return $"off: {Variable}=native (oneMKL's own choice)";

        var vendor = CpuVendor;
        bool avx512 = HasAvx512, avx2 = Avx2.IsSupported && Fma.IsSupported;
        int type;
        switch (mode)
        {
            case "avx512" when !avx512:
                throw new ArgumentException($"{Variable}=avx512 but this CPU lacks AVX-512 F/CD/BW/DQ/VL");
            case "avx2" when !avx2:
                throw new ArgumentException($"{Variable}=avx2 but this CPU lacks AVX2/FMA");
            case "avx512": type = Avx512Type; break;
            case "avx2": type = Avx2Type; break;
            default:
                if (vendor == "GenuineIntel") return "skipped: Intel CPU (oneMKL's own dispatch chooses its kernels)";
                if (!avx512)
                    return $"skipped: {vendor} CPU without AVX-512 F/CD/BW/DQ/VL: oneMKL's own choice is kept " +
                           $"(an AVX2 override is not measured; {Variable}=avx2 forces it)";
                type = Avx512Type;
                break;
        }

        var file = Path.Combine(NativeDir, LibraryFile);
        if (!File.Exists(file)) return $"skipped: the build did not produce {LibraryFile} ({BuildStatus})";
        // Loaded before libtorch_cpu.so (read for its version next), so that no binding can precede it; until a
        // type is forced it returns oneMKL's own answer.
        library = DlOpen(file);
        if (library == IntPtr.Zero) return $"skipped: dlopen of {file} failed";
        var version = MklVersion();
        if (mode == "auto" && !VerifiedVersions.Contains(version))
            return $"skipped: oneMKL {version} is not a verified version ({string.Join(", ", VerifiedVersions)}); " +
                   $"{Variable}=avx512 forces the path";
        Export<ForceFn>("powerclip_mkl_force_cpu_type")(type);
        var path = type == Avx512Type ? "AVX-512" : "AVX2";
        return $"applied: oneMKL {version} uses its {path} kernels on this {vendor} CPU ({Variable}={mode})";
    }

    /// <summary>AVX-512 F, CD, BW, DQ and VL, with the OS's support: what oneMKL's AVX-512 kernels need.</summary>
    public static bool HasAvx512 =>
        Avx512F.IsSupported && Avx512F.VL.IsSupported && Avx512BW.IsSupported && Avx512CD.IsSupported
        && Avx512DQ.IsSupported;

    /// <summary>The CPUID vendor string, e.g. GenuineIntel or AuthenticAMD.</summary>
    public static string CpuVendor => ReadCpuVendor();

    private static string ReadCpuVendor()
    {
        if (!X86Base.IsSupported) return "unknown";
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        var bytes = new byte[12];
        BitConverter.TryWriteBytes(bytes.AsSpan(0), ebx);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), edx);
        BitConverter.TryWriteBytes(bytes.AsSpan(8), ecx);
        return Encoding.ASCII.GetString(bytes);
    }

    /// <summary>"2024.2" from MKL_Get_Version_String of the libtorch_cpu.so that TorchSharp will load.</summary>
    private static string MklVersion()
    {
        var torchCpu = Path.Combine(NativeDir, "libtorch_cpu.so");
        if (!NativeLibrary.TryLoad(File.Exists(torchCpu) ? torchCpu : "libtorch_cpu.so", out var handle))
            return "unknown";
        if (!NativeLibrary.TryGetExport(handle, "MKL_Get_Version_String", out var fn)) return "unknown";
        var buffer = new byte[256];
        Marshal.GetDelegateForFunctionPointer<VersionFn>(fn)(buffer, buffer.Length);
        var text = Encoding.ASCII.GetString(buffer).TrimEnd('\0');
        var m = Regex.Match(text, @"Version (\d+\.\d+)");
        return m.Success ? m.Groups[1].Value : "unknown";
    }

    /// <summary>RTLD_GLOBAL puts the library's definitions ahead of libtorch_cpu.so's own in symbol lookup.</summary>
    private static IntPtr DlOpen(string file)
    {
        try { return DlOpenLibc(file, RtldNow | RtldGlobal); }
        catch (EntryPointNotFoundException) { return DlOpenLibdl(file, RtldNow | RtldGlobal); }  // glibc < 2.34
    }

    private static T Export<T>(string name) where T : Delegate =>
        Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(library, name));

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate void ForceFn(int type);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate long CountFn();
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int TypeFn();
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate void VersionFn(byte[] buffer, int length);

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern IntPtr DlOpenLibc([MarshalAs(UnmanagedType.LPUTF8Str)] string file, int flags);

    [DllImport("libdl.so.2", EntryPoint = "dlopen")]
    private static extern IntPtr DlOpenLibdl([MarshalAs(UnmanagedType.LPUTF8Str)] string file, int flags);
}
