using System.Text;

namespace PowerClip.Data;

/// <summary>
/// Penn-Treebank bracket strings — the paper-faithful path: parse captions offline with any constituency
/// parser and ship the trees with the data. Reads "(S (NP (DT a) (NN dog)) (VP (VBZ runs)))", an optional
/// unlabelled or ROOT/TOP wrapper, and the PTB escapes -LRB- -RRB- -LCB- -RCB- -LSB- -RSB-.
/// </summary>
public static class PtbBrackets
{
    private static readonly Dictionary<string, string> Unescape = new()
    {
        ["-LRB-"] = "(", ["-RRB-"] = ")", ["-LCB-"] = "{", ["-RCB-"] = "}", ["-LSB-"] = "[", ["-RSB-"] = "]",
    };

    /// <summary>Parses one bracketed tree; throws <see cref="FormatException"/> naming the position of the
    /// problem.</summary>
    public static ConstituencyTree Parse(string text)
    {
        var tokens = Tokenize(text);
        var pos = 0;
        if (tokens.Count == 0) throw new FormatException("empty PTB tree");
        var node = ReadNode(tokens, ref pos);
        if (pos != tokens.Count) throw new FormatException(
            $"PTB tree: unexpected '{tokens[pos]}' after the tree ends (token {pos})");
        while (node.Word is null && node.Children.Count == 1 && node.Label is "" or "ROOT" or "TOP")
            node = node.Children[0];
        if (node.Label.Length == 0) node = node with { Label = "FRAG" };
        return new ConstituencyTree(node);
    }

    /// <summary>Writes a node in bracket notation, escaping brackets in words.</summary>
    public static string Write(TreeNode node)
    {
        var sb = new StringBuilder();
        Write(node, sb);
        return sb.ToString();
    }

    private static void Write(TreeNode node, StringBuilder sb)
    {
        sb.Append('(').Append(node.Label);
        if (node.Word is { } w) sb.Append(' ').Append(Escape(w));
        foreach (var c in node.Children) { sb.Append(' '); Write(c, sb); }
        sb.Append(')');
    }

    private static string Escape(string word) => word switch
    {
        "(" => "-LRB-", ")" => "-RRB-", "{" => "-LCB-", "}" => "-RCB-", "[" => "-LSB-", "]" => "-RSB-", _ => word,
    };

    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var sb = new StringBuilder();
        foreach (var c in text)
        {
            if (c is '(' or ')' || char.IsWhiteSpace(c))
            {
                if (sb.Length > 0) { tokens.Add(sb.ToString()); sb.Clear(); }
                if (!char.IsWhiteSpace(c)) tokens.Add(c.ToString());
            }
            else sb.Append(c);
        }
        if (sb.Length > 0) tokens.Add(sb.ToString());
        return tokens;
    }

    private static TreeNode ReadNode(List<string> t, ref int pos)
    {
        if (pos >= t.Count || t[pos] != "(")
            throw new FormatException($"PTB tree: expected '(' at token {pos}, found " +
                $"'{(pos < t.Count ? t[pos] : "end of text")}'");
        pos++;
        var label = pos < t.Count && t[pos] is not "(" and not ")" ? t[pos++] : "";
        if (pos < t.Count && t[pos] is not "(" and not ")")
        {
            var word = t[pos++];
            if (pos >= t.Count || t[pos] != ")") throw new FormatException(
                $"PTB tree: preterminal '({label} {word}' is not closed at token {pos}");
            pos++;
            if (label.Length == 0) throw new FormatException($"PTB tree: word '{word}' has no tag");
            return TreeNode.Leaf(label, Unescape.GetValueOrDefault(word, word));
        }
        var children = new List<TreeNode>();
        while (pos < t.Count && t[pos] == "(") children.Add(ReadNode(t, ref pos));
        if (pos >= t.Count) throw new FormatException($"PTB tree: '({label}' is never closed");
        if (t[pos] != ")") throw new FormatException($"PTB tree: unexpected '{t[pos]}' at token {pos}");
        pos++;
        if (children.Count == 0) throw new FormatException($"PTB tree: empty node '({label})' at token {pos - 1}");
        return new TreeNode(label, children);
    }
}
