using System.CommandLine;
using PowerClip.Train;

namespace PowerClip.Cli;

/// <summary>Runs the command tree with the program's error conventions.</summary>
public static class Cli
{
    /// <summary>Exit code for a command line that does not parse (unknown command or option, bad value).</summary>
    public const int UsageError = ErrorText.UsageExitCode;

    /// <summary>Exit code for a command that failed while running (missing file, bad data, …).</summary>
    public const int RuntimeError = ErrorText.RuntimeExitCode;

    /// <summary>
    /// Parses and invokes. Parse errors and failures print one line, "powerclip: error: …", on stderr —
    /// a research user's scripts grep for that, not for a help page or a stack trace.
    /// Set POWERCLIP_TRACE=1 to get the full exception.
    /// </summary>
    public static int Run(RootCommand root, string[] args)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // An unknown token explains more than the "required command" error it also causes.
            var error = parsed.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized",
                StringComparison.Ordinal)) ?? parsed.Errors[0];
            Console.Error.WriteLine($"powerclip: error: {error.Message.ReplaceLineEndings(" ").Trim()}");
            return UsageError;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"powerclip: error: {ErrorText.OneLine(e)}");
            if (Environment.GetEnvironmentVariable("POWERCLIP_TRACE") == "1") Console.Error.WriteLine(e);
            return e is UsageException ? UsageError : RuntimeError;
        }
    }
}

/// <summary>A user error found after parsing (an impossible combination of options); exits with code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
