namespace PowerClip.Train.Training;

/// <summary>
/// Checkpoints of one run: RUN/checkpoints/step-NNNNNNN/ directories, each complete or absent. A
/// checkpoint is written into a hidden temporary directory and renamed into place (atomic on one
/// file system), then the `latest` pointer is replaced atomically; a crash at any point leaves the
/// previous checkpoint intact and loadable. Older checkpoints beyond <see cref="Keep"/> are pruned.
/// </summary>
public sealed class CheckpointStore(string runDirectory, int keep = 3)
{
    public string Root { get; } = new RunFolder(runDirectory).Checkpoints;

    public int Keep { get; } = keep >= 1 ? keep : throw new ArgumentOutOfRangeException(nameof(keep), "keep must be >= 1");

    private string LatestPointer => Path.Combine(Root, "latest");

    public static string NameOf(int step) => $"step-{step:D7}";

    /// <summary>Writes a checkpoint: <paramref name="writeFiles"/> fills the (temporary) directory it is given.</summary>
    public string Save(int step, Action<string> writeFiles)
    {
        Directory.CreateDirectory(Root);
        var final = Path.Combine(Root, NameOf(step));
        var temp = Path.Combine(Root, $".{NameOf(step)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            writeFiles(temp);
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
            Directory.Move(temp, final);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
        AtomicFile.WriteAllText(LatestPointer, NameOf(step) + "\n");
        Prune();
        return final;
    }

    /// <summary>All complete checkpoints, oldest first.</summary>
    public IReadOnlyList<(int Step, string Directory)> List() =>
        !Directory.Exists(Root)
            ? []
            : Directory.GetDirectories(Root, "step-*")
                .Select(d => (Step: int.TryParse(Path.GetFileName(d).AsSpan(5), out var s) ? s : -1, Directory: d))
                .Where(c => c.Step >= 0)
                .OrderBy(c => c.Step)
                .ToList();

    /// <summary>"latest", a step number, or a checkpoint directory path → the checkpoint directory.</summary>
    public string Resolve(string spec)
    {
        if (spec == "latest")
        {
            if (File.Exists(LatestPointer))
            {
                var named = Path.Combine(Root, File.ReadAllText(LatestPointer).Trim());
                if (Directory.Exists(named)) return named;
            }
            var all = List();
            return all.Count > 0 ? all[^1].Directory : throw new FileNotFoundException($"no checkpoint in {Root} to resume from");
        }
        if (int.TryParse(spec, out var step))
        {
            var dir = Path.Combine(Root, NameOf(step));
            return Directory.Exists(dir) ? dir : throw new FileNotFoundException($"no checkpoint for step {step} in {Root}");
        }
        return Directory.Exists(spec) ? spec : throw new FileNotFoundException($"checkpoint directory {spec} does not exist");
    }

    private void Prune()
    {
        var all = List();
        foreach (var (_, dir) in all.Take(Math.Max(0, all.Count - Keep)))
            Directory.Delete(dir, recursive: true);
    }
}
