using System.Runtime.InteropServices;

namespace PowerClip.Train.Experiments;

/// <summary>
/// Retries work that libtorch failed with a native error (an <see cref="ExternalException"/>). TorchSharp 0.107
/// frees implicitly created Scalars from the finalizer thread, which can free one while a native call still reads
/// it ("Unknown scalar type", "Expected false to be true" from c10's Scalar; docs/training.md). The experiments'
/// work is deterministic — an evaluation, or training resumed bit-identically from a checkpoint — so a retry gives
/// what an undisturbed run gives; any other exception, or a third native failure, propagates.
/// </summary>
public static class NativeRetry
{
    /// <summary>How many times one piece of work is retried after a native libtorch error.</summary>
    public const int Retries = 2;

    /// <param name="what">names the work in the warning (a run folder, "evaluating DIR")</param>
    /// <param name="beforeRetry">runs before each retry (e.g. choose where training resumes)</param>
    public static T Run<T>(string what, Func<T> work, Action? beforeRetry = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return work();
            }
            catch (ExternalException e) when (attempt < Retries)
            {
                var first = e.Message.Split('\n', 2)[0].Trim();
                Console.Error.WriteLine($"powerclip: warning: {what}: libtorch failed ({first}); " +
                                        $"retrying ({attempt + 1} of {Retries})");
                beforeRetry?.Invoke();
            }
        }
    }
}
