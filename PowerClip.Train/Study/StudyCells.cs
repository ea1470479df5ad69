namespace PowerClip.Train.Study;

/// <summary>
/// One cell column of the study's tables: a name, the table it belongs to, and the per-item outcome sets its
/// value averages (ArmOutcomes keys; the value is the mean over these sets of each set's mean,
/// <see cref="PairedBootstrap"/>).
/// </summary>
public sealed record StudyCell(string Table, string Name, IReadOnlyList<string> Sets, string Description);

/// <summary>
/// The study's cells, shaped like the paper's tables (method.md §5) at the scale of the synthetic world:
/// <list type="bullet">
/// <item>classification average: zero-shot top-1 (prompt ensembles, all 48 colour×shape classes as candidates)
/// averaged over two sets — the images of classes seen in training and of the held-out classes (the paper
/// averages 17 datasets; we have these two);</item>
/// <item>retrieval average: R@1 of image→text (per image) and text→image (per caption), averaged (the paper:
/// 6 settings);</item>
/// <item>robustness average: zero-shot top-1 on the three shifted renderings (outline, texture, palette) of the
/// zero-shot scenes, averaged (the paper: 6 ImageNet variants);</item>
/// <item>compositional rows: SugarCrepe per category and its object/attribute groups, Winoground
/// text/image/group, ARO;</item>
/// <item>grounding: pointing accuracy and selected-subset IoU per phrase type (ours; not in the paper).</item>
/// </list>
/// </summary>
public static class StudyCells
{
    public const string Main = "main";
    public const string Compositional = "compositional";
    public const string Grounding = "grounding";

    private static readonly string[] SugarCrepe =
        ["add_att", "add_obj", "replace_att", "replace_obj", "replace_rel", "swap_att", "swap_obj"];
    private static readonly string[] Shifts = ["outline", "texture", "palette"];
    private static readonly string[] PhraseTypes = ["object", "attribute_object", "relation"];

    public static IReadOnlyList<StudyCell> All { get; } =
    [
        new(Main, "classification avg", ["zeroshot/top-1, seen classes", "zeroshot/top-1, held-out classes"],
            "zero-shot top-1 over all classes, mean of the seen-class and held-out-class image sets"),
        new(Main, "retrieval avg", ["retrieval/image→text R@1", "retrieval/text→image R@1"],
            "R@1, mean of both directions"),
        new(Main, "robustness avg", Shifts.Select(s => $"robustness/{s}/top-1").ToArray(),
            "zero-shot top-1, mean of the three shifted renderings"),
        .. Shifts.Select(s => new StudyCell(Main, $"robustness: {s}", [$"robustness/{s}/top-1"],
                                            $"zero-shot top-1, {s} rendering")),
        new(Compositional, "SugarCrepe object", ["sugarcrepe/add_obj", "sugarcrepe/replace_obj", "sugarcrepe/swap_obj"],
            "mean of the object categories"),
        new(Compositional, "SugarCrepe attribute",
            ["sugarcrepe/add_att", "sugarcrepe/replace_att", "sugarcrepe/swap_att"],
            "mean of the attribute categories"),
        .. SugarCrepe.Select(c => new StudyCell(Compositional, $"SugarCrepe {c}", [$"sugarcrepe/{c}"],
                                                "true caption over its hard negative")),
        .. new[] { "text", "image", "group" }.Select(s => new StudyCell(Compositional, $"Winoground {s}",
                                                                         [$"winoground/{s}"], $"Winoground {s} score")),
        // Micro accuracy (every item once): the official macro accuracy averages groups, not items to resample.
        new(Compositional, "ARO relation", ["aro/visual_genome_relation: micro accuracy"],
            "true vs subject/object-swapped caption (micro accuracy)"),
        new(Compositional, "ARO attribution", ["aro/visual_genome_attribution: micro accuracy"],
            "true vs attribute-swapped caption (micro accuracy)"),
        .. PhraseTypes.Select(t => new StudyCell(Grounding, $"pointing: {t}", [$"grounding/pointing: {t}"],
                                                 "the largest-S1 patch lies in the target mask")),
        .. PhraseTypes.Select(t => new StudyCell(Grounding, $"IoU: {t}", [$"grounding/IoU: {t}"],
                                                 "IoU of the patches with S1 > 0 and the target mask")),
    ];
}
