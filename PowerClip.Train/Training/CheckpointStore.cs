namespace PowerClip.Train.Training;

/// <summary>A checkpoint chosen for resuming: its folder, and a one-line note when it is not the one asked.</summary>
public sealed record CheckpointChoice(string Directory, string? Note);

/// <summary>
/// Checkpoints of one run: RUN/checkpoints/step-NNNNNNN/ directories, each complete or absent. A checkpoint
/// is written into a hidden temporary directory; every file is fsynced, then a manifest of sizes and SHA-256
/// hashes (<see cref="CheckpointManifest"/>) is written last, the directory is synced and renamed into place,
/// and the parent is synced; then the `latest` pointer is replaced atomically. Resolving `latest` (or a step)
/// takes the newest checkpoint whose files match its manifest, and says so when that is an older one.
/// Pruning keeps <see cref="Keep"/> checkpoints and never the newest intact one.
/// </summary>
public sealed class CheckpointStore(string runDirectory, int keep = 3)
{
    public string Root { get; } = new RunFolder(runDirectory).Checkpoints;

    public int Keep { get; } = keep >= 1 ? keep : throw new ArgumentOutOfRangeException(nameof(keep),
        "keep must be >= 1");

    private string LatestPointer => Path.Combine(Root, "latest");

    public static string NameOf(int step) => $"step-{step:D7}";

    /// <summary>Writes a checkpoint: <paramref name="writeFiles"/> fills the (temporary) directory it is
    /// given.</summary>
    public string Save(int step, Action<string> writeFiles)
    {
        if (!Directory.Exists(Root))
        {
            Directory.CreateDirectory(Root);
            Durable.SyncDirectory(runDirectory);
        }
        var final = Path.Combine(Root, NameOf(step));
        var temp = Path.Combine(Root, $".{NameOf(step)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            writeFiles(temp);
            foreach (var file in Directory.GetFiles(temp)) Durable.SyncFile(file);
            CheckpointManifest.Write(temp, step);
            Durable.SyncDirectory(temp);
            if (Directory.Exists(final)) Remove(final);
            Directory.Move(temp, final);
            Durable.SyncDirectory(Root);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
        AtomicFile.WriteAllText(LatestPointer, NameOf(step) + "\n");
        Prune(step);
        return final;
    }

    /// <summary>All checkpoint directories (intact or not), oldest first.</summary>
    public IReadOnlyList<(int Step, string Directory)> List() =>
        !Directory.Exists(Root)
            ? []
            : Directory.GetDirectories(Root, "step-*")
                .Select(d => (Step: int.TryParse(Path.GetFileName(d).AsSpan(5), out var s) ? s : -1, Directory: d))
                .Where(c => c.Step >= 0)
                .OrderBy(c => c.Step)
                .ToList();

    /// <summary>Null when the checkpoint's files match its manifest; otherwise what is wrong.</summary>
    public static string? Problem(string checkpointDirectory) => CheckpointManifest.Problem(checkpointDirectory);

    /// <summary>"latest", a step number, or a checkpoint directory path → an intact checkpoint directory.</summary>
    public string Resolve(string spec) => ResolveIntact(spec).Directory;

    /// <summary>
    /// "latest" → the newest intact checkpoint (the `latest` pointer's first); a step → that step's checkpoint, or
    /// the newest intact one before it; a path → that folder, which must be intact. Falling back says why in
    /// <see cref="CheckpointChoice.Note"/>.
    /// </summary>
    public CheckpointChoice ResolveIntact(string spec)
    {
        if (spec != "latest" && !int.TryParse(spec, out _))
        {
            if (!Directory.Exists(spec)) throw new FileNotFoundException($"checkpoint directory {spec} does not exist");
            if (Problem(spec) is not { } p) return new(spec, null);
            return IsLegacy(spec)
                ? new(spec, Unverified(spec))
                : throw new InvalidDataException($"checkpoint {spec} is damaged: {p}");
        }
        var limit = spec == "latest" ? int.MaxValue : int.Parse(spec);
        var candidates = List().Where(c => c.Step <= limit).Reverse().Select(c => c.Directory).ToList();
        if (spec == "latest" && File.Exists(LatestPointer))
        {
            var named = Path.Combine(Root, File.ReadAllText(LatestPointer).Trim());
            if (candidates.Remove(named)) candidates.Insert(0, named);
        }
        if (spec != "latest" && (candidates.Count == 0 || Path.GetFileName(candidates[0]) != NameOf(limit)))
            throw new FileNotFoundException($"no checkpoint for step {limit} in {Root}");
        string? firstProblem = null;
        foreach (var dir in candidates)
        {
            var problem = Problem(dir);
            if (problem is null)
                return new(dir, firstProblem is null ? null
                    : $"checkpoint {Path.GetFileName(candidates[0])} is damaged ({firstProblem}); " +
                      $"using {Path.GetFileName(dir)}, the newest intact one");
            // Written before checkpoints had manifests: complete when renamed into place, nothing to verify against.
            if (IsLegacy(dir))
            {
                var newer = firstProblem is null ? ""
                    : $"; {Path.GetFileName(candidates[0])} is damaged ({firstProblem})";
                return new(dir, Unverified(Path.GetFileName(dir)) + newer);
            }
            firstProblem ??= problem;
        }
        throw new FileNotFoundException(candidates.Count == 0
            ? $"no checkpoint in {Root} to resume from"
            : $"no intact checkpoint in {Root} to resume from ({Path.GetFileName(candidates[0])}: {firstProblem})");
    }

    private static string Unverified(string name) =>
        $"checkpoint {name} has no {CheckpointManifest.FileName} (written by an older powerclip): " +
        "its files are not verified";

    private static bool IsLegacy(string dir) =>
        !File.Exists(Path.Combine(dir, CheckpointManifest.FileName)) && Directory.EnumerateFiles(dir).Any();

    /// <summary>
    /// Removes what an interrupted write left behind: hidden *.tmp folders and files in the checkpoint folder
    /// (half-written checkpoints, half-deleted ones, an unfinished `latest`). Call before writing (at start).
    /// </summary>
    public int RemoveStaleTemporaries()
    {
        if (!Directory.Exists(Root)) return 0;
        var removed = 0;
        foreach (var d in Directory.GetDirectories(Root, ".*.tmp")) { Directory.Delete(d, recursive: true); removed++; }
        foreach (var f in Directory.GetFiles(Root, ".*.tmp")) { File.Delete(f); removed++; }
        if (removed > 0) Durable.SyncDirectory(Root);
        return removed;
    }

    /// <summary>Keeps the newest <see cref="Keep"/>; never the one just saved nor the newest intact one.</summary>
    private void Prune(int saved)
    {
        var all = List();
        var kept = new HashSet<int> { saved };
        // Normally none is newer than the one just saved; after a resume from an older step there can be.
        foreach (var (step, dir) in all.Where(c => c.Step > saved).Reverse())
            if (Problem(dir) is null) { kept.Add(step); break; }
        var count = all.Count;
        foreach (var (step, dir) in all)
        {
            if (count <= Keep) break;
            if (kept.Contains(step)) continue;
            Remove(dir);
            count--;
        }
    }

    /// <summary>
    /// Renames before deleting, so that a crash half-way leaves a *.tmp folder (removed at start), never half a
    /// checkpoint.
    /// </summary>
    private void Remove(string dir)
    {
        var doomed = Path.Combine(Root, $".{Path.GetFileName(dir)}.{Guid.NewGuid():N}.deleting.tmp");
        Directory.Move(dir, doomed);
        Durable.SyncDirectory(Root);
        Directory.Delete(doomed, recursive: true);
    }
}
