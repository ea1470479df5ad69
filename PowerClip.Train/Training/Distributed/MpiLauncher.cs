namespace PowerClip.Train.Training.Distributed;

/// <summary>
/// Entry point of one rank of an `mpiexec -n K` job. Each rank prints one line naming its rank, pid,
/// host and device (mpiexec reports a killed process by pid and host; this line maps that to a
/// rank). An exception on any rank — a data error, a failed collective — prints
/// "powerclip: error: rank R of K failed …" and calls MPI_Abort, which makes mpiexec kill every
/// other rank at once instead of leaving them blocked in the next collective. Checkpoints are
/// written atomically by rank 0 (see <see cref="CheckpointStore"/>), so the last one survives.
/// </summary>
public static class MpiLauncher
{
    private static readonly TimeSpan OutputGrace = TimeSpan.FromSeconds(1);

    public static int Run(string[] args, Func<IDistributedContext, int> body)
    {
        MpiLibrary.Register();
        using var environment = new MPI.Environment(ref args);
        using var context = MpiContext.World();
        Console.Error.WriteLine($"powerclip: rank {context.Rank} of {context.Size}: pid {Environment.ProcessId} on " +
            $"{MPI.Environment.ProcessorName}, device {context.Device}");
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
            Fail(context, e.ExceptionObject as Exception ?? new Exception($"{e.ExceptionObject}"));
        try
        {
            return body(context);
        }
        catch (Exception e)
        {
            Fail(context, e);
            return ErrorText.RuntimeExitCode; // not reached: MPI_Abort ends the process
        }
    }

    private static void Fail(IDistributedContext context, Exception e)
    {
        Console.Error.WriteLine($"powerclip: error: rank {context.Rank} of {context.Size} failed, stopping all " +
            $"ranks: {ErrorText.OneLine(e)}");
        if (Environment.GetEnvironmentVariable("POWERCLIP_TRACE") == "1") Console.Error.WriteLine(e);
        Console.Error.Flush();
        // mpiexec forwards each rank's output asynchronously and stops forwarding as soon as MPI_Abort
        // tears the job down (the line was lost in about one run of ten); a short pause lets it through.
        Thread.Sleep(OutputGrace);
        context.Abort(ErrorText.RuntimeExitCode);
    }
}
