using PowerClip.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Train.Performance;

/// <summary>What one measured step cost: peak resident memory above the step's start, and the step's time.</summary>
/// <param name="GradientsFreed">whether zero_grad releases the gradients (then the step allocates them again)</param>
/// <param name="SavedBytes">bytes malloc holds in use at the end of the forward and loss, above the step's start
/// (glibc's mallinfo2: what the step keeps for its backward, without the allocator's free space); NaN without
/// glibc</param>
/// <param name="InUsePeakBytes">the largest growth of malloc's bytes in use during the step, sampled every millisecond
/// (live tensors without the allocator's retained free space; a peak shorter than a millisecond can be missed)</param>
public sealed record MemoryMeasurement(double PeakDeltaBytes, double BaselineBytes, bool GradientsFreed,
                                       IReadOnlyList<double> StepMs, double SavedBytes, double InUsePeakBytes);

/// <summary>
/// Measures a training step's peak memory on the CPU as the growth of the process's peak resident set (VmHWM, reset
/// through /proc/self/clear_refs) over the resident set at the step's start. Why that is comparable to the model:
/// libtorch's CPU tensors are malloc'd and written, so they are resident while they live; a warm-up step at batch 2
/// first allocates what persists across steps (gradients, AdamW state, oneMKL's buffers, JIT code), so the growth
/// is what the step itself adds — activations, the loss head and the backward's buffers — counted by the model as
/// <see cref="MemoryModel.Peak"/> less parameters, AdamW state, inputs and (if zero_grad keeps them) gradients.
/// Freed memory that glibc keeps from the warm-up (at most that small step's peak) is reused and not counted. Run it in
/// a fresh process: memory an earlier computation left in the allocator would hide the step's growth.
/// </summary>
public static class MemoryProbe
{
    public static MemoryMeasurement Measure(MemorySettings s, int steps = 3, int seed = 1)
    {
        var settings = new ObjectiveSettings { PowerClip = new() { ChunkElements = s.ChunkElements } };
        var objective = Objectives.Create(s.Objective, settings);
        using var step = new SyntheticStep(s.Model, objective, seed, CPU, s.Precision, s.GradCheckpointing);
        using (var warm = SyntheticBatch.Create(s.Model, 2, s.Regions, s.Words, seed)) step.Run(warm);
        var freed = GradientsFreedByZeroGrad(step);
        using var batch = SyntheticBatch.Create(s.Model, s.Batch, s.Regions, s.Words, seed);
        Settle();
        var baseline = Resident("VmRSS:");
        var inUse = InUse();
        var saved = double.NaN;
        ResetPeak();
        double sampledPeak;
        StepTiming first;
        using (var sampler = new InUseSampler())
        {
            first = step.Run(batch, () => saved = InUse() - inUse);
            sampledPeak = sampler.Stop() - inUse;
        }
        var peak = Resident("VmHWM:") - baseline;
        var times = new List<double> { first.Total };
        for (var i = 1; i < steps; i++) times.Add(step.Run(batch).Total);
        return new MemoryMeasurement(peak, baseline, freed, times, saved, sampledPeak);
    }

    /// <summary>
    /// The largest growth of malloc's bytes in use while <paramref name="action"/> runs (sampled every millisecond).
    /// </summary>
    public static double PeakInUse(Action action)
    {
        var start = InUse();
        using var sampler = new InUseSampler();
        action();
        return sampler.Stop() - start;
    }

    /// <summary>
    /// The largest <see cref="InUse"/> seen by a thread that reads it every millisecond until stopped.
    /// </summary>
    private sealed class InUseSampler : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;
        private double _max = InUse();

        public InUseSampler()
        {
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    _max = Math.Max(_max, InUse());
                    Thread.Sleep(1);
                }
            }) { IsBackground = true, Name = "memory sampler" };
            _thread.Start();
        }

        public double Stop()
        {
            _stop = true;
            _thread.Join();
            return Math.Max(_max, InUse());
        }

        public void Dispose() { if (!_stop) Stop(); }
    }

    /// <summary>
    /// Bytes malloc has handed out and not taken back (mallinfo2: arena blocks in use + mmapped blocks).
    /// </summary>
    private static double InUse()
    {
        try
        {
            var info = mallinfo2();
            return (double)info.uordblks + info.hblkhd;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return double.NaN;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern MallInfo2 mallinfo2();

    /// <summary>glibc's struct mallinfo2 (malloc.h), ten size_t fields.</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

    /// <summary>What the model predicts the probe sees: the peak less what exists before the measured step.</summary>
    public static double Predicted(IReadOnlyList<MemoryLine> lines, bool gradientsFreed)
    {
        string[] before = ["parameters (float32 masters)", "AdamW state", "inputs"];
        var excluded = lines.Where(l => before.Contains(l.Part) || (!gradientsFreed && l.Part == "gradients (float32)"))
                            .Sum(l => l.Bytes);
        return MemoryModel.Peak(lines) - excluded;
    }

    /// <summary>
    /// What the model says the step keeps at the end of its forward and loss: the saved tensors, nothing of the
    /// backward.
    /// </summary>
    public static double Saved(IReadOnlyList<MemoryLine> lines)
    {
        string[] before = ["parameters (float32 masters)", "AdamW state", "inputs", "gradients (float32)"];
        return lines.Where(l => l.AtPeak && !before.Contains(l.Part)).Sum(l => l.Bytes);
    }

    private static bool GradientsFreedByZeroGrad(SyntheticStep step)
    {
        using var optimizer = optim.SGD(step.Model.parameters(), 0.0);
        optimizer.zero_grad();
        return step.Model.parameters().All(p => p.grad is null);
    }

    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>A /proc/self/status field in bytes; NaN where /proc is not available (not Linux).</summary>
    private static double Resident(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return double.NaN;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line[field.Length..].Trim().Split(' ')[0]) * 1024;
    }

    /// <summary>
    /// Resets VmHWM to the current resident set (Linux ≥ 4.0); without it the peak includes the warm-up's.
    /// </summary>
    private static void ResetPeak()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
