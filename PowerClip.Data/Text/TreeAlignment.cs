namespace PowerClip.Data;

/// <summary>
/// A caption's tree as the loss consumes it: each leaf is a half-open span [Start, End) of token positions,
/// each node a sorted array of leaf indices. Converts one-to-one to PowerClip.Model's
/// <c>new CaptionTree(t.LeafSpans, t.Nodes)</c> and to PowerClip.Math's <c>{ LeafCount = t.LeafSpans.Length; Nodes =
/// t.Nodes }</c>.
/// </summary>
public sealed record LossTree((int Start, int End)[] LeafSpans, int[][] Nodes);

/// <summary>A caption ready for the model: token ids, its constituency tree and the loss view of that tree.</summary>
public sealed record PreparedCaption(string Caption, TokenizedCaption Tokens, ConstituencyTree Tree, LossTree Loss);

/// <summary>Aligns tree leaves with caption words and BPE tokens.</summary>
public static class TreeAlignment
{
    /// <summary>
    /// Character ranges of the tree's leaves in the caption, found left to right (case-insensitive).
    /// Throws <see cref="FormatException"/> naming the first leaf that is not in the caption.
    /// </summary>
    public static Word[] AlignWords(string normalizedCaption, IReadOnlyList<string> leaves)
    {
        var result = new Word[leaves.Count];
        var at = 0;
        for (var i = 0; i < leaves.Count; i++)
        {
            var idx = normalizedCaption.IndexOf(leaves[i], at, StringComparison.OrdinalIgnoreCase);
            var gap = idx < 0 ? "" : normalizedCaption[at..idx].Trim();
            // Only white space or punctuation the tree left out may lie between two leaves.
            if (idx < 0 || (gap.Length > 0 && !CaptionText.IsPunctuation(gap.Replace(" ", ""))))
                throw new FormatException($"tree leaf {i} '{leaves[i]}' does not match the caption at character {at}");
            result[i] = new Word(leaves[i], idx, idx + leaves[i].Length);
            at = idx + leaves[i].Length;
        }
        return result;
    }

    /// <summary>
    /// The loss view of a tree for a tokenized caption. Leaves cut off by truncation, and punctuation leaves
    /// unless <paramref name="keepPunctuation"/>, are removed; node sets are re-indexed, and nodes left empty
    /// or duplicated are dropped. Nodes follow <see cref="ConstituencyTree.Nodes"/> (phrases plus root, or with
    /// leaves).
    /// </summary>
    public static LossTree ForLoss(ConstituencyTree tree, TokenizedCaption tokens, bool includeLeaves = false,
        bool keepPunctuation = false)
    {
        if (tokens.WordSpans.Length != tree.LeafCount)
            throw new ArgumentException($"the tree has {tree.LeafCount} leaves but the tokenized caption has " +
                $"{tokens.WordSpans.Length} words");
        var newIndex = new int[tree.LeafCount];
        var spans = new List<(int, int)>();
        for (var i = 0; i < tree.LeafCount; i++)
        {
            var (s, e) = tokens.WordSpans[i];
            var keep = e > s && (keepPunctuation || !CaptionText.IsPunctuation(tree.Words[i]));
            newIndex[i] = keep ? spans.Count : -1;
            if (keep) spans.Add((s, e));
        }
        var seen = new HashSet<string>();
        var nodes = new List<int[]>();
        foreach (var node in tree.Nodes(includeLeaves))
        {
            var mapped = node.Select(l => newIndex[l]).Where(l => l >= 0).ToArray();
            if (mapped.Length == 0) continue;
            if (seen.Add(string.Join(",", mapped))) nodes.Add(mapped);
        }
        return new LossTree(spans.ToArray(), nodes.ToArray());
    }

    /// <summary>
    /// Tokenizes a caption and attaches its tree: the PTB tree when one is given and matches the caption,
    /// else the built-in parser's. A PTB tree that does not parse or align is reported to <paramref name="problems"/>
    /// (with <paramref name="key"/>) and replaced by the parser's tree, so a bad tree never stops a run.
    /// </summary>
    public static PreparedCaption Prepare(string caption, CaptionTokenizer tokenizer, string? ptbTree = null,
        DataProblems? problems = null, string key = "", bool includeLeaves = false)
    {
        var text = tokenizer.Clean(caption);
        ConstituencyTree? tree = null;
        Word[]? words = null;
        if (!string.IsNullOrWhiteSpace(ptbTree))
        {
            try
            {
                tree = PtbBrackets.Parse(ptbTree);
                words = AlignWords(text, tree.Words);
            }
            catch (FormatException e)
            {
                problems?.Repaired(key, "bad tree", e.Message + "; the caption is parsed instead");
                tree = null;
            }
        }
        if (tree is null || words is null)
        {
            tree = CaptionParser.Parse(text);
            words = AlignWords(text, tree.Words);
        }
        var tokens = tokenizer.Encode(text, words);
        return new PreparedCaption(text, tokens, tree, ForLoss(tree, tokens, includeLeaves));
    }
}
