namespace PowerClip.Data;

/// <summary>
/// The combinations held out of training: colour×shape pairs and (relation, subject shape, object shape)
/// triples, one in <see cref="WorldConfig.HeldOutEvery"/> of each, chosen by a fixed arithmetic pattern
/// shifted by <see cref="WorldConfig.SplitSeed"/> so that every colour and every shape keeps training
/// combinations. A relation triple and its converse ("a left of b" = "b right of a") are held out together.
/// Training samples contain no held-out combination (in the image or the caption); test samples contain at
/// least one, so the two splits are disjoint by construction.
/// </summary>
public sealed class HeldOutSplit(WorldConfig config)
{
    private readonly int _k = config.HeldOutEvery;
    private readonly int _seed = config.SplitSeed;

    public bool IsHeldOut(Colour c, Shape s) => Mod((int)c + 2 * (int)s + _seed, _k) == 0;

    public bool IsHeldOut(Relation r, Shape subject, Shape obj)
    {
        // Canonical form: left of / above / next to (with the smaller shape first for the symmetric "next to").
        var (rel, a, b) = r switch
        {
            Relation.RightOf => (Relation.LeftOf, obj, subject),
            Relation.Below => (Relation.Above, obj, subject),
            Relation.NextTo when obj < subject => (r, obj, subject),
            _ => (r, subject, obj),
        };
        return Mod(3 * (int)rel + (int)a + 4 * (int)b + _seed + 1, _k) == 0;
    }

    public IEnumerable<(Colour, Shape)> HeldOutColourShapes() =>
        from c in WorldVocabulary.Colours from s in WorldVocabulary.Shapes where IsHeldOut(c, s) select (c, s);

    private static int Mod(int a, int k) => ((a % k) + k) % k;
}
