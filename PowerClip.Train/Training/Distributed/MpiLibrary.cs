using System.Reflection;
using System.Runtime.InteropServices;

namespace PowerClip.Train.Training.Distributed;

/// <summary>
/// MPI.NET P/Invokes MS-MPI's "msmpi.dll", whose ABI is MPICH's. On Linux this maps that name to an
/// MPICH-ABI library: libmpich.so.12 (MPICH, MVAPICH, Cray MPICH) or, via POWERCLIP_MPI_LIBRARY,
/// another one (Intel MPI's libmpi.so.12). Open MPI's ABI differs and cannot be used.
/// </summary>
public static class MpiLibrary
{
    public const string EnvironmentVariable = "POWERCLIP_MPI_LIBRARY";
    public const string Default = "libmpich.so.12";

    private static readonly Lock Gate = new();
    private static bool _registered;

    /// <summary>Installs the resolver once; must run before the first MPI call.</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (_registered) return;
            NativeLibrary.SetDllImportResolver(typeof(MPI.Environment).Assembly, Resolve);
            _registered = true;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (!name.StartsWith("msmpi", StringComparison.OrdinalIgnoreCase)
            || OperatingSystem.IsWindows()) return IntPtr.Zero;
        var library = Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } chosen
            ? chosen : Default;
        if (NativeLibrary.TryLoad(library, assembly, path, out var handle)) return handle;
        throw new DllNotFoundException(
            $"cannot load the MPI library {library}: install MPICH (apt-get install mpich, or " +
                "scripts/ensure-tools.sh mpiexec.mpich=mpich) " +
            $"or point {EnvironmentVariable} at an MPICH-ABI libmpi");
    }
}
