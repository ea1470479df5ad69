namespace PowerClip.Train;

/// <summary>The program's error conventions, shared by the command line and the ranks of a distributed job.</summary>
public static class ErrorText
{
    /// <summary>Exit code for a command line that does not parse or a user error found after parsing.</summary>
    public const int UsageExitCode = 2;

    /// <summary>Exit code for a command that failed while running (missing file, bad data, …).</summary>
    public const int RuntimeExitCode = 1;

    /// <summary>The innermost meaningful message, on one line.</summary>
    public static string OneLine(Exception e)
    {
        while (e is System.Reflection.TargetInvocationException or AggregateException && e.InnerException is not null)
            e = e.InnerException!;
        return e.Message.ReplaceLineEndings(" ").Trim();
    }
}
