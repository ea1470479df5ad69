namespace PowerClip.Data;

/// <summary>The kinds of grounded phrase the grounding benchmark reports separately.</summary>
public static class GroundingPhraseType
{
    /// <summary>
    /// A noun phrase naming one object whose shape no other object of the scene has ("a red circle" beside a square).
    /// </summary>
    public const string Object = "object";

    /// <summary>
    /// A noun phrase naming one object that shares its shape with another object of the scene: only the attributes
    /// said (colour, size) tell which is meant — attribute binding ("a red circle" beside a blue circle).
    /// </summary>
    public const string AttributeObject = "attribute_object";

    /// <summary>
    /// The tree node that states a relation between two objects ("a red circle left of a blue square", or the S node
    /// "… is left of …"): the smallest phrase spanning both noun phrases; its target is the union of both objects'
    /// masks.
    /// </summary>
    public const string Relation = "relation";

    public static readonly string[] All = [Object, AttributeObject, Relation];
}

/// <summary>One phrase of a caption with the scene objects it names and its target mask on the patch grid.</summary>
/// <param name="Leaves">word indices of the phrase in the caption's tree (0-based, in order)</param>
/// <param name="Objects">scene object indices the phrase names (one, or two for a relation)</param>
/// <param name="Mask">row-major patch indices of the target: the named object's mask, or the union of two</param>
public sealed record GroundedPhrase(string Type, string Text, int[] Leaves, int[] Objects, int[] Mask);

/// <summary>
/// Which region every phrase of a world caption names, from the world's exact trees and masks. A noun phrase
/// that matches more than one object of the scene (two red circles, no size said) names no single object and is
/// left out; every other mentioned object gives one phrase, and a stated relation one more.
/// </summary>
public static class GroundingPhrases
{
    public static IReadOnlyList<GroundedPhrase> Of(WorldScene scene, WorldCaption caption, RegionMasks masks)
    {
        if (masks.Count != scene.Objects.Count)
            throw new ArgumentException($"{masks.Count} masks for a scene of {scene.Objects.Count} objects");
        var words = caption.Tree.Words;
        string Text(int[] leaves) => string.Join(' ', leaves.Select(l => words[l]));
        var result = new List<GroundedPhrase>();
        foreach (var m in caption.Mentions)
        {
            if (m.Index >= scene.Objects.Count) continue; // a mention of an absent object (hard negatives only)
            var matching = scene.Objects.Count(o => WorldTruth.Matches(o, m));
            if (matching != 1) continue;
            var leaves = caption.ObjectLeaves[m.Index];
            var sharedShape = scene.Objects.Where((o, k) => k != m.Index).Any(o => o.Shape == m.Shape);
            var type = sharedShape ? GroundingPhraseType.AttributeObject : GroundingPhraseType.Object;
            result.Add(new GroundedPhrase(type, Text(leaves), leaves, [m.Index], masks.Patches[m.Index]));
        }
        if (caption.Fact is { } fact)
        {
            var (a, b) = (caption.ObjectLeaves[fact.Subject], caption.ObjectLeaves[fact.Object]);
            var span = Enumerable.Range(a.Min(), b.Max() - a.Min() + 1).ToArray();
            if (!caption.Tree.Nodes().Any(n => n.SequenceEqual(span)))
                throw new InvalidOperationException($"caption '{caption.Text}': the relation's words " +
                                                    $"{a.Min()}..{b.Max()} are not a phrase of its tree");
            var union = masks.Patches[fact.Subject].Union(masks.Patches[fact.Object]).Order().ToArray();
            var objects = new[] { fact.Subject, fact.Object };
            result.Add(new GroundedPhrase(GroundingPhraseType.Relation, Text(span), span, objects, union));
        }
        return result;
    }
}
