using System.CommandLine;
using PowerClip.Model;
using TorchSharp;

namespace PowerClip.Cli;

/// <summary>The compute options every TorchSharp command takes: --device and --threads.</summary>
public sealed class RuntimeOptions
{
    public Option<string> Device { get; } = new("--device")
    {
        Description = "Compute device: auto (CUDA when available, else CPU), cpu, cuda or cuda:N",
        DefaultValueFactory = _ => "auto",
    };

    public Option<int> Threads { get; } = new("--threads")
    {
        Description = "CPU threads for TorchSharp (default: the number of cores)",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    public void AddTo(Command command)
    {
        command.Add(Device);
        command.Add(Threads);
    }

    /// <summary>Loads the native library, sets the thread count and resolves the device.</summary>
    public (torch.Device Device, int Threads) Apply(ParseResult result)
    {
        try
        {
            return TorchRuntime.Initialize(result.GetValue(Device), result.GetValue(Threads));
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
