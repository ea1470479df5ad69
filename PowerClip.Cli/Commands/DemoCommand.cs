using System.CommandLine;
using System.Globalization;
using PowerClip.Model;
using PowerClip.Train.Demo;

using PowerClip.Train;

namespace PowerClip.Cli.Commands;

/// <summary>
/// `powerclip demo`: the README's main job. On the embedded synthetic world, trains CLIP and PowerCLIP with the
/// same budget and seed on the CPU, evaluates both on held-out compositional benchmarks and writes a
/// self-contained HTML report. Rerunning with the same --out reuses what is already trained.
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var runtime = new RuntimeOptions();
        var quick = new Option<bool>("--quick") { Description = "A small budget (under 2 minutes on 2 cores) instead " +
            "of the default (about 11 minutes)" };
        var output = new Option<string>("--out") { Description = "Output folder (runs, benchmarks, report.html, " +
            "results.json)", DefaultValueFactory = _ => "runs/demo" };
        var steps = new Option<int?>("--steps") { Description = "Override the optimizer steps of both arms" };
        var seed = new Option<int?>("--seed") { Description = "Seed of weights, data and regions (default 0)" };
        var defaults = new PowerClipLossConfig();
        var lambda = new Option<double?>("--lambda") { Description = $"PowerCLIP's λ (default {defaults.Lambda:g}, " +
            "the paper's)" };
        var delta = new Option<double?>("--delta") { Description = $"PowerCLIP's margin δ (default " +
            $"{defaults.Delta:g}, reconstructed)" };
        var command = new Command("demo", "Train CLIP and PowerCLIP on the synthetic world, evaluate both on " +
            "held-out compositions, write an HTML report")
        {
            quick, output, steps, seed, lambda, delta,
        };
        runtime.AddTo(command);
        command.SetAction(r =>
        {
            var settings = r.GetValue(quick) ? DemoSettings.Quick : new DemoSettings();
            if (r.GetValue(steps) is { } n)
                settings = n >= 1 ? settings with { Steps = n } : throw new UsageException(
                    $"--steps must be >= 1, got {n}");
            if (r.GetValue(seed) is { } s) settings = settings with { Seed = s };
            var p = settings.LossSettings.PowerClip;
            p = p with { Lambda = r.GetValue(lambda) ?? p.Lambda, Delta = r.GetValue(delta) ?? p.Delta };
            settings = settings with { LossSettings = settings.LossSettings with { PowerClip = p } };
            var outDir = r.GetValue(output)!;
            var (device, threads) = runtime.Apply(r);
            Console.WriteLine(RuntimeDescription.Text(device, threads));
            var outcome = new DemoPipeline(settings, outDir, device, threads).Run();
            Console.WriteLine();
            Console.WriteLine($"{"benchmark",-12} {"metric",-28} {"clip",8} {"powerclip",10}");
            foreach (var (bench, metric, value) in outcome.Evaluations["clip"].Rows)
            {
                var pc = outcome.Evaluations["powerclip"].Find(bench, metric);
                Console.WriteLine($"{bench,-12} {metric,-28} {Pct(value.Accuracy),8} " +
                    $"{Pct(pc?.Accuracy ?? double.NaN),10}");
            }
            Console.WriteLine($"report: {Path.Combine(outDir, "report.html")} ({outcome.TotalSeconds:F0} s)");
            return 0;
        });
        return command;
    }

    private static string Pct(double x) => double.IsNaN(x)
        ? "–" : (100 * x).ToString("F1", CultureInfo.InvariantCulture) + "%";
}
