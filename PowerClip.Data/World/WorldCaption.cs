namespace PowerClip.Data;

/// <summary>A stated relation "Subject Relation Object" between two scene objects (indices into the scene).</summary>
public sealed record WorldFact(int Subject, Relation Relation, int Object);

/// <summary>
/// A caption of a scene with its exact constituency tree. <see cref="ObjectLeaves"/>[i] are the leaf indices
/// of the noun phrase that names scene object i (empty when the caption does not mention it).
/// <see cref="Mentions"/>, <see cref="Relation"/> and <see cref="Sentence"/> rebuild it with <see
/// cref="WorldGrammar.Build"/>.
/// </summary>
public sealed record WorldCaption(string Text, ConstituencyTree Tree, int[][] ObjectLeaves, WorldFact? Fact,
    IReadOnlyList<ObjectMention> Mentions, Relation? Relation, bool Sentence);

/// <summary>How an object is named: which attributes are said.</summary>
public sealed record ObjectMention(int Index, Colour Colour, Shape Shape, ObjectSize? Size);

/// <summary>
/// The caption grammar of the synthetic world. Trees follow the built-in parser's conventions, so
/// <see cref="CaptionParser"/> reproduces them exactly (a test checks it):
///   object   (NP (DT a|an) [(JJ size)] (JJ colour) (NN shape))
///   relation (NP NP_a (PP (IN left) (IN of) NP_b))  or  (S NP_a (VP (VBZ is) (PP … NP_b)))
///   others   (X core (CC and) (NP NP_c (CC and) NP_d))  — right-branching coordination
/// </summary>
public static class WorldGrammar
{
    /// <summary>Builds the caption text and tree from mentions; <paramref name="fact"/> relates the first two
    /// mentions.</summary>
    public static WorldCaption Build(int objectCount, IReadOnlyList<ObjectMention> mentions, Relation? relation,
        bool sentence)
    {
        if (mentions.Count == 0) throw new ArgumentException("a caption mentions at least one object");
        if (relation is not null && mentions.Count < 2) throw new ArgumentException(
            "a relation needs two mentioned objects");
        var words = new List<string>();
        var objectLeaves = Enumerable.Range(0, objectCount).Select(_ => Array.Empty<int>()).ToArray();

        TreeNode Np(ObjectMention m)
        {
            var start = words.Count;
            var first = m.Size is { } sz ? WorldVocabulary.Word(sz) : WorldVocabulary.Word(m.Colour);
            var parts = new List<TreeNode> { Leaf("DT", "aeiou".Contains(first[0]) ? "an" : "a") };
            if (m.Size is { } size) parts.Add(Leaf("JJ", WorldVocabulary.Word(size)));
            parts.Add(Leaf("JJ", WorldVocabulary.Word(m.Colour)));
            parts.Add(Leaf("NN", WorldVocabulary.Word(m.Shape)));
            objectLeaves[m.Index] = Enumerable.Range(start, words.Count - start).ToArray();
            return new TreeNode("NP", parts);
        }

        TreeNode Leaf(string tag, string word) { words.Add(word); return TreeNode.Leaf(tag, word); }

        TreeNode Coordinate(int from)
        {
            var first = Np(mentions[from]);
            if (from == mentions.Count - 1) return first;
            var cc = Leaf("CC", "and");
            return TreeNode.Phrase("NP", first, cc, Coordinate(from + 1));
        }

        TreeNode root;
        WorldFact? fact = null;
        if (relation is { } rel)
        {
            fact = new WorldFact(mentions[0].Index, rel, mentions[1].Index);
            if (mentions[0].Index == mentions[1].Index) throw new ArgumentException(
                "a relation needs two different objects");
            var subject = Np(mentions[0]);
            var verb = sentence ? Leaf("VBZ", "is") : null;
            var prep = WorldVocabulary.Words(rel).Select(w => Leaf("IN", w)).ToList();
            prep.Add(Np(mentions[1]));
            var pp = new TreeNode("PP", prep);
            var core = verb is null ? TreeNode.Phrase("NP", subject, pp) : TreeNode.Phrase("S", subject,
                TreeNode.Phrase("VP", verb, pp));
            if (mentions.Count > 2)
            {
                var cc = Leaf("CC", "and");
                root = TreeNode.Phrase(sentence ? "S" : "NP", core, cc, Coordinate(2));
            }
            else root = core;
        }
        else root = Coordinate(0);
        return new WorldCaption(string.Join(' ', words), new ConstituencyTree(root), objectLeaves, fact,
            mentions.ToArray(), relation, sentence);
    }

    /// <summary>
    /// A random true caption of the scene: every object mentioned in random order; with probability 0.8 a
    /// clearly true relation between the first two (one the filter allows); size said with probability 0.5.
    /// </summary>
    public static WorldCaption Describe(WorldScene scene, Random rng,
        Func<Relation, Shape, Shape, bool> relationAllowed)
    {
        var order = Enumerable.Range(0, scene.Objects.Count).OrderBy(_ => rng.Next()).ToArray();
        var mentions = order.Select(i => Mention(scene, i, rng.Next(2) == 0)).ToList();
        var sentence = rng.Next(2) == 0;
        if (scene.Objects.Count >= 2 && rng.NextDouble() < 0.8)
        {
            var options = new List<(int A, int B, Relation R)>();
            for (var a = 0; a < order.Length; a++)
                for (var b = 0; b < order.Length; b++)
                    foreach (var r in WorldVocabulary.Relations)
                        if (a != b && scene.Holds(order[a], order[b], r)
                            && relationAllowed(r, scene.Objects[order[a]].Shape, scene.Objects[order[b]].Shape)
                            && (r != Relation.NextTo || rng.Next(4) == 0))
                            options.Add((a, b, r));
            if (options.Count > 0)
            {
                var (a, b, r) = options[rng.Next(options.Count)];
                var first = new[] { mentions[a], mentions[b] };
                var rest = mentions.Where((_, i) => i != a && i != b);
                return Build(scene.Objects.Count, first.Concat(rest).ToList(), r, sentence);
            }
        }
        return Build(scene.Objects.Count, mentions, null, sentence);
    }

    public static ObjectMention Mention(WorldScene scene, int i, bool withSize) =>
        new(i, scene.Objects[i].Colour, scene.Objects[i].Shape, withSize ? scene.Objects[i].Size : null);
}
