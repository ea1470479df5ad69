using System.Diagnostics;
using Spectre.Console;

namespace PowerClip.Train.Training;

/// <summary>What a training loop reports after each optimizer step.</summary>
public interface IProgressSink
{
    void Update(int step, double loss, double lr, double samplesPerSecond);
}

/// <summary>
/// A progress bar (loss, lr, samples/s, ETA) on an interactive terminal; plain periodic lines when
/// output is redirected (CI logs, nohup), so logs stay readable.
/// </summary>
public static class TrainingProgress
{
    public static void Run(int startStep, int totalSteps, TimeSpan plainInterval, Action<IProgressSink> body)
    {
        var interactive = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        if (!interactive)
        {
            body(new PlainSink(startStep, totalSteps, plainInterval));
            return;
        }
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(),
                     new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("training", maxValue: totalSteps);
                task.Value = startStep;
                body(new BarSink(task, totalSteps));
            });
    }

    private static string Describe(int step, int total, double loss, double lr, double sps) =>
        $"step {step}/{total}  loss {loss:F4}  lr {lr:E2}  {sps:F1} samples/s";

    private sealed class BarSink(ProgressTask task, int total) : IProgressSink
    {
        public void Update(int step, double loss, double lr, double samplesPerSecond)
        {
            task.Description = Markup.Escape(Describe(step, total, loss, lr, samplesPerSecond));
            task.Value = step;
        }
    }

    private sealed class PlainSink(int startStep, int total, TimeSpan interval) : IProgressSink
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan? _lastPrint;

        public void Update(int step, double loss, double lr, double samplesPerSecond)
        {
            var now = _clock.Elapsed;
            if (step < total && _lastPrint is { } last && now - last < interval) return;
            _lastPrint = now;
            var done = step - startStep;
            var eta = done > 0 ? TimeSpan.FromSeconds(now.TotalSeconds / done * (total - step)) : TimeSpan.Zero;
            Console.WriteLine($"{Describe(step, total, loss, lr, samplesPerSecond)}  eta {eta:hh\\:mm\\:ss}");
        }
    }
}
