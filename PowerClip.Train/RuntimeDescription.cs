using System.Reflection;
using PowerClip.Model;
using TorchSharp;

namespace PowerClip.Train;

/// <summary>What a run ran on: versions, device, threads and the TorchSharp native-fix status (`powerclip info`,
/// reports).</summary>
public static class RuntimeDescription
{
    public static IEnumerable<(string Key, string Value)> Describe(torch.Device device, int threads)
    {
        yield return ("powerclip", Version(typeof(RuntimeDescription).Assembly));
        yield return (".NET", Environment.Version.ToString());
        yield return ("os", System.Runtime.InteropServices.RuntimeInformation.OSDescription);
        yield return ("TorchSharp", Version(typeof(torch).Assembly));
        yield return ("libtorch", torch.__version__ ?? "unknown");
        yield return ("cuda available", torch.cuda.is_available()
            ? $"yes ({torch.cuda.device_count()} device(s))" : "no");
        yield return ("device", device.ToString());
        yield return ("threads", $"{threads} (cores: {Environment.ProcessorCount})");
        yield return ("native fix", TorchRuntime.NativeFixStatus);
        yield return ("mkl code path", MklCodePath.Status);
    }

    /// <summary>The description as aligned "key value" lines.</summary>
    public static string Text(torch.Device device, int threads) =>
        string.Join("\n", Describe(device, threads).Select(kv => $"{kv.Key,-18} {kv.Value}"));

    private static string Version(Assembly a) =>
        a.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? a.GetName().Version?.ToString() ?? "unknown";
}
