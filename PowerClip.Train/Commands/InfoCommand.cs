using System.CommandLine;
using System.Reflection;
using PowerClip.Model;
using TorchSharp;

namespace PowerClip.Train.Commands;

/// <summary>`powerclip info`: versions, device, threads and the native-fix status.</summary>
public static class InfoCommand
{
    public static Command Create()
    {
        var runtime = new RuntimeOptions();
        var command = new Command("info", "Print versions, compute device, thread count and whether the TorchSharp native fix was applied");
        runtime.AddTo(command);
        command.SetAction(result =>
        {
            var (device, threads) = runtime.Apply(result);
            foreach (var (key, value) in Describe(device, threads))
                Console.WriteLine($"{key,-18} {value}");
            return 0;
        });
        return command;
    }

    public static IEnumerable<(string Key, string Value)> Describe(torch.Device device, int threads)
    {
        yield return ("powerclip", Version(typeof(InfoCommand).Assembly));
        yield return (".NET", Environment.Version.ToString());
        yield return ("os", System.Runtime.InteropServices.RuntimeInformation.OSDescription);
        yield return ("TorchSharp", Version(typeof(torch).Assembly));
        yield return ("libtorch", torch.__version__ ?? "unknown");
        yield return ("cuda available", torch.cuda.is_available() ? $"yes ({torch.cuda.device_count()} device(s))" : "no");
        yield return ("device", device.ToString());
        yield return ("threads", $"{threads} (cores: {Environment.ProcessorCount})");
        yield return ("native fix", TorchRuntime.NativeFixStatus);
        yield return ("mkl code path", MklCodePath.Status);
    }

    private static string Version(Assembly a) =>
        a.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? a.GetName().Version?.ToString() ?? "unknown";
}
