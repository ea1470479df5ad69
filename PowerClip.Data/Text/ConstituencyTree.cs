namespace PowerClip.Data;

/// <summary>
/// A constituency-tree node. A preterminal carries the word (<see cref="Word"/> non-null, no children),
/// e.g. PTB "(NN dog)"; every other node is a phrase (NP, PP, VP, S, …) with children.
/// </summary>
public sealed record TreeNode(string Label, IReadOnlyList<TreeNode> Children, string? Word = null)
{
    public bool IsPreterminal => Word is not null;

    public static TreeNode Leaf(string tag, string word) => new(tag, [], word);

    public static TreeNode Phrase(string label, params TreeNode[] children) => new(label, children);
}

/// <summary>
/// A caption's constituency tree: leaves are the words (in order), nodes are the phrases.
/// <see cref="Nodes"/> gives each node as the sorted array of its leaf indices — the form the losses
/// use (PowerClip.Math.ParseTree.Nodes, PowerClip.Model.CaptionTree.Nodes).
/// </summary>
public sealed class ConstituencyTree
{
    public TreeNode Root { get; }

    /// <summary>The leaf words, left to right.</summary>
    public IReadOnlyList<string> Words { get; }

    public ConstituencyTree(TreeNode root)
    {
        Root = root;
        var words = new List<string>();
        Collect(root, words);
        if (words.Count == 0) throw new ArgumentException("a constituency tree needs at least one word");
        Words = words;
    }

    private static void Collect(TreeNode node, List<string> words)
    {
        if (node.Word is { } w) { words.Add(w); return; }
        if (node.Children.Count == 0) throw new ArgumentException($"phrase node '{node.Label}' has no children");
        foreach (var c in node.Children) Collect(c, words);
    }

    public int LeafCount => Words.Count;

    /// <summary>
    /// The node set 𝒯: every phrase node plus the root, each as a sorted array of leaf indices, in pre-order,
    /// with duplicate leaf sets (unary chains) kept once. Leaves (one-word sets) are included only when
    /// <paramref name="includeLeaves"/> is set — docs/method.md's default is phrases plus root [reconstructed default].
    /// Punctuation leaves are included in the sets of the phrases that contain them.
    /// </summary>
    public int[][] Nodes(bool includeLeaves = false)
    {
        var result = new List<int[]>();
        var seen = new HashSet<string>();
        var next = 0;
        Walk(Root, isRoot: true);
        if (includeLeaves)
            for (var i = 0; i < LeafCount; i++)
                if (seen.Add(i.ToString())) result.Add([i]);
        return result.ToArray();

        List<int> Walk(TreeNode node, bool isRoot)
        {
            if (node.IsPreterminal) return [next++];
            var leaves = new List<int>();
            var at = result.Count;
            foreach (var c in node.Children) leaves.AddRange(Walk(c, false));
            if (isRoot || leaves.Count > 1 || includeLeaves)
            {
                var key = string.Join(",", leaves);
                if (seen.Add(key)) result.Insert(at, leaves.ToArray());
            }
            return leaves;
        }
    }

    /// <summary>The tree in Penn-Treebank bracket notation, e.g. "(NP (DT a) (NN dog))".</summary>
    public string ToBracketString() => PtbBrackets.Write(Root);

    public override string ToString() => ToBracketString();
}
