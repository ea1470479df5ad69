namespace PowerClip.Data;

/// <summary>
/// SugarCrepe's hard-negative categories, built from a world caption by changing its mentions or relation and
/// kept only when the result is (loosely) false of the scene — see <see cref="WorldTruth"/>.
/// </summary>
public static class HardNegatives
{
    /// <summary>SugarCrepe's seven categories, with its file names.</summary>
    public static readonly string[] Categories = ["add_att", "add_obj", "replace_att", "replace_obj", "replace_rel",
        "swap_att", "swap_obj"];

    /// <summary>A false caption of the given category, or null when the caption offers none.</summary>
    public static WorldCaption? Make(string category, WorldScene scene, WorldCaption caption, Random rng)
    {
        var m = caption.Mentions;
        IEnumerable<(IReadOnlyList<ObjectMention> Mentions, Relation? Relation)> candidates = category switch
        {
            "replace_att" => Shuffled(m.Count, rng).SelectMany(i =>
                Shuffled(WorldVocabulary.Colours, rng).Where(c => c != m[i].Colour)
                .Select(c => (With(m, i, m[i] with { Colour = c }), caption.Relation))),
            "replace_obj" => Shuffled(m.Count, rng).SelectMany(i =>
                Shuffled(WorldVocabulary.Shapes, rng).Where(s => s != m[i].Shape)
                .Select(s => (With(m, i, m[i] with { Shape = s }), caption.Relation))),
            "replace_rel" => caption.Relation is { } r
                ? Shuffled(WorldVocabulary.Relations, rng).Where(x => x != r).Select(x => (m, (Relation?)x))
                : [],
            "swap_att" => Pairs(m.Count, rng).Where(p => m[p.A].Colour != m[p.B].Colour)
                .Select(p => (With(With(m, p.A, m[p.A] with { Colour = m[p.B].Colour }), p.B,
                    m[p.B] with { Colour = m[p.A].Colour }), caption.Relation)),
            "swap_obj" => Pairs(m.Count, rng).Where(p => m[p.A].Shape != m[p.B].Shape)
                .Select(p => (With(With(m, p.A, m[p.A] with { Shape = m[p.B].Shape }), p.B,
                    m[p.B] with { Shape = m[p.A].Shape }), caption.Relation)),
            "add_att" => Shuffled(m.Count, rng).Where(i => m[i].Size is null)
                .Select(i => (With(m, i, m[i] with { Size = scene.Objects[m[i].Index].Size == ObjectSize.Small
                    ? ObjectSize.Large : ObjectSize.Small }), caption.Relation)),
            "add_obj" => m.Count >= 4 ? [] : Shuffled(WorldVocabulary.Colours, rng)
                .SelectMany(c => Shuffled(WorldVocabulary.Shapes, rng)
                .Select(s => ((IReadOnlyList<ObjectMention>)m.Append(new ObjectMention(scene.Objects.Count, c, s, null))
                    .ToArray(), caption.Relation))),
            _ => throw new ArgumentException($"unknown SugarCrepe category '{category}' (expected one of " +
                $"{string.Join(", ", Categories)})"),
        };
        foreach (var (mentions, relation) in candidates)
        {
            // add_obj names an object that is not in the scene: give the grammar one more slot for it.
            var count = Math.Max(scene.Objects.Count, mentions.Max(x => x.Index) + 1);
            if (!WorldTruth.IsTrue(scene, mentions, relation, strict: false))
                return WorldGrammar.Build(count, mentions, relation, caption.Sentence);
        }
        return null;
    }

    private static IReadOnlyList<ObjectMention> With(IReadOnlyList<ObjectMention> m, int i, ObjectMention x)
    {
        var copy = m.ToArray();
        copy[i] = x;
        return copy;
    }

    private static IEnumerable<int> Shuffled(int n, Random rng) =>
        Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();

    private static IEnumerable<T> Shuffled<T>(IEnumerable<T> items, Random rng) =>
        items.OrderBy(_ => rng.Next()).ToArray();

    private static IEnumerable<(int A, int B)> Pairs(int n, Random rng) =>
        (from a in Enumerable.Range(0, n) from b in Enumerable.Range(0, n) where a < b select (a, b))
            .OrderBy(_ => rng.Next()).ToArray();
}
