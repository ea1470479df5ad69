using PowerClip.Model;

namespace PowerClip.Train.Study;

/// <summary>
/// One row of the study's table: a display name (the paper's), the objective it trains (a `--loss` name), the
/// region source PowerCLIP's variants differ in, and whether it is an ablation row.
/// </summary>
public sealed record StudyMethod(string Name, string Loss, string RegionSource = "masks", bool Ablation = false)
{
    /// <summary>
    /// Whether `--loss` accepts this method's objective today (<see cref="Objectives.Catalogue"/>): a method whose
    /// objective is not implemented is listed in the table as such instead of trained, and becomes an arm as soon as
    /// its name is in the catalogue.
    /// </summary>
    public bool Implemented => Objectives.AllNames.Contains(Loss);

    /// <summary>The run folder's name: the loss, with the region source where PowerCLIP's variants need it.</summary>
    public string Slug => Loss + (RegionSource == "masks" ? "" : "-" + RegionSource);
}

/// <summary>
/// The methods of the paper's comparison and ablation tables (method.md §5), in table order. Adding an arm is one
/// line here; the objective itself is looked up by its `--loss` name in <see cref="Objectives.Catalogue"/> (an
/// ablation's name sets its switch in the persisted settings: TrainConfig.WithLoss).
/// </summary>
public static class StudyMethods
{
    public static IReadOnlyList<StudyMethod> All { get; } =
    [
        new("CLIP", "clip"),
        new("FLIP", "flip"),
        new("FILIP", "filip"),
        new("SPARC", "sparc"),
        new("CLIP-PGS", "clip-pgs"),
        new("A-CLIP", "a-clip"),
        new("E-CLIP", "e-clip"),
        new("PowerCLIP-R", "powerclip", RegionSource: "boxes"),
        new("PowerCLIP-S", "powerclip"),
        new("w/o region subsets", "powerclip-no-subsets", Ablation: true),
        new("w/o syntax tree", "powerclip-no-tree", Ablation: true),
        new("w/o R2T", "powerclip-no-r2t", Ablation: true),
        new("w/o T2R", "powerclip-no-t2r", Ablation: true),
        new("w/o triplet", "powerclip-no-triplet", Ablation: true),
    ];

    /// <summary>The baseline every difference is taken against.</summary>
    public const string Reference = "CLIP";

    /// <summary>The method the ablation rows remove parts of (the paper's ablations are of PowerCLIP-S).</summary>
    public const string FullPowerClip = "PowerCLIP-S";

    /// <summary>
    /// Methods by display name or slug (case-insensitive), in table order; an unknown name is an error that
    /// lists the known ones.
    /// </summary>
    public static IReadOnlyList<StudyMethod> Select(IEnumerable<string> names)
    {
        var wanted = names.Select(n => n.Trim()).Where(n => n.Length > 0).ToArray();
        foreach (var n in wanted)
            if (!All.Any(m => Matches(m, n)))
                throw new ArgumentException(
                    $"unknown study method '{n}': expected one of {string.Join(", ", All.Select(m => m.Name))}");
        return All.Where(m => wanted.Any(n => Matches(m, n))).ToArray();
    }

    private static bool Matches(StudyMethod m, string name) =>
        string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase)
        || string.Equals(m.Slug, name, StringComparison.OrdinalIgnoreCase);
}
