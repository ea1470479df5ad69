using System.CommandLine;
using TorchSharp;

using PowerClip.Train;

namespace PowerClip.Cli.Commands;

/// <summary>`powerclip info`: versions, device, threads and the native-fix status.</summary>
public static class InfoCommand
{
    public static Command Create()
    {
        var runtime = new RuntimeOptions();
        var command = new Command("info", "Print versions, compute device, thread count and whether the TorchSharp " +
            "native fix was applied");
        runtime.AddTo(command);
        command.SetAction(result =>
        {
            var (device, threads) = runtime.Apply(result);
            Console.WriteLine(RuntimeDescription.Text(device, threads));
            return 0;
        });
        return command;
    }
}
