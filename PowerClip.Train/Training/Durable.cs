using System.Runtime.InteropServices;

namespace PowerClip.Train.Training;

/// <summary>
/// fsync for files and directories. A rename or a new file is durable only once its directory is synced
/// too; .NET has no API for that, so on Linux and macOS the directory is opened read-only and fsync'ed through
/// libc. On Windows files are flushed (FlushFileBuffers) and directories are not (no equivalent without
/// backup privileges; NTFS journals its metadata).
/// </summary>
public static partial class Durable
{
    private const int EINVAL = 22, ENOTSUP_LINUX = 95, ENOTSUP_MAC = 45;

    /// <summary>Forces a file's data and metadata to stable storage.</summary>
    public static void SyncFile(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            stream.Flush(flushToDisk: true);
            return;
        }
        Sync(path, directory: false);
    }

    /// <summary>Forces a directory's entries (creations, renames, deletions in it) to stable storage.</summary>
    public static void SyncDirectory(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        Sync(path, directory: true);
    }

    private static void Sync(string path, bool directory)
    {
        var fd = Open(path, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"cannot open {path} to sync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                // Some file systems (FUSE, network mounts) cannot sync a directory; their files still were.
                if (!(directory && errno is EINVAL or ENOTSUP_LINUX or ENOTSUP_MAC))
                    throw new IOException($"fsync of {path} failed (errno {errno})");
            }
        }
        finally { _ = Close(fd); }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
