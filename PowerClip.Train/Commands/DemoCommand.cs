using System.CommandLine;
using PowerClip.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Commands;

/// <summary>
/// `powerclip demo`: the README's main job. Until training lands (issue 6) it prints `info` and runs
/// a tiny forward/backward smoke run that must reduce its loss.
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var runtime = new RuntimeOptions();
        var steps = new Option<int>("--steps") { Description = "Optimizer steps of the smoke run", DefaultValueFactory = _ => 50 };
        var command = new Command("demo", "Run the main demonstration (for now: environment info and a forward/backward smoke run)") { steps };
        runtime.AddTo(command);
        command.SetAction(result =>
        {
            var (device, threads) = runtime.Apply(result);
            foreach (var (key, value) in InfoCommand.Describe(device, threads))
                Console.WriteLine($"{key,-18} {value}");
            var n = result.GetValue(steps);
            if (n < 1) throw new UsageException($"--steps must be >= 1, got {n}");
            var (first, last) = SmokeRun.Run(device, n, seed: 0);
            Console.WriteLine($"smoke run: {n} steps, loss {first:F4} -> {last:F4}");
            if (!(last < first)) throw new InvalidOperationException($"smoke run did not reduce the loss ({first} -> {last})");
            return 0;
        });
        return command;
    }
}
