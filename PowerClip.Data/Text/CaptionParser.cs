namespace PowerClip.Data;

/// <summary>
/// The built-in deterministic caption parser for captions that come without trees: a small lexicon plus
/// suffix rules tag the words, and a recursive-descent chunker builds NP / PP / VP / S / SBAR phrases,
/// tuned to caption-style English ("a dog sitting on a red chair", "two men are riding horses on a beach").
/// PPs and participle phrases attach to the nearest noun phrase; coordination ("and") attaches at the top
/// level only. Same input, same tree: nothing is learned or random. For paper-faithful trees, parse
/// offline with a full constituency parser and ship PTB brackets (<see cref="PtbBrackets"/>).
/// </summary>
public static class CaptionParser
{
    /// <summary>Parses a caption (normalised first); throws <see cref="ArgumentException"/> when it has no
    /// words.</summary>
    public static ConstituencyTree Parse(string caption)
    {
        var words = CaptionText.Split(CaptionText.Normalize(caption)).Select(w => w.Text).ToArray();
        if (words.Length == 0) throw new ArgumentException("cannot parse an empty caption");
        var tags = Tagger.Tag(words);
        return new ConstituencyTree(new Chunker(words, tags).Parse());
    }

    private sealed class Chunker(string[] words, string[] tags)
    {
        private int _pos;
        private int N => words.Length;

        private string Tag(int i) => i < N ? tags[i] : "";
        private TreeNode Take() { var n = TreeNode.Leaf(tags[_pos], words[_pos]); _pos++; return n; }

        private static bool IsVerbTag(string t) => t is "VBZ" or "VBP" or "VBD" or "VBG" or "VBN" or "VB" or "MD";
        private static bool IsFinite(string t) => t is "VBZ" or "VBP" or "VBD" or "MD";
        private static bool IsContent(string t) => t is "NN" or "NNS" or "JJ" or "CD";
        private bool StartsNp(int i) => Tag(i) is "DT" or "PRP$" or "PRP" or "EX" || IsContent(Tag(i));
        private bool StartsPp(int i) => Tag(i) is "IN" && PrepEnd(i) is var e && (StartsNp(e) || Tag(e) is "VBG");
        private int PrepEnd(int i) { while (Tag(i) is "IN") i++; return i; }

        public TreeNode Parse()
        {
            var items = new List<TreeNode>();
            while (_pos < N)
            {
                if (StartsNp(_pos))
                {
                    var np = NounPhrase(allowCoordination: true);
                    items.Add(IsFinite(Tag(_pos)) ? TreeNode.Phrase("S", np, VerbPhrase()) : np);
                }
                else if (IsVerbTag(Tag(_pos))) items.Add(VerbPhrase());
                else if (StartsPp(_pos)) items.Add(PrepPhrase());
                else items.Add(Take());
            }
            var content = items.Where(n => !(n.IsPreterminal && n.Label is "." or "," or ":" or "PUNCT")).ToList();
            if (content.Count == 1 && !content[0].IsPreterminal)
            {
                // Trailing/inner punctuation joins the single phrase, as PTB parsers attach it.
                var head = content[0];
                var children = items.SelectMany(n => ReferenceEquals(n, head) ? head.Children : [n]).ToArray();
                return new TreeNode(head.Label, children);
            }
            if (items.Count == 1) return TreeNode.Phrase("FRAG", items[0]);
            return new TreeNode(items.Any(n => n.Label == "S") ? "S" : "FRAG", items);
        }

        private TreeNode BaseNounPhrase()
        {
            var parts = new List<TreeNode>();
            if (Tag(_pos) is "PRP" or "EX") return TreeNode.Phrase("NP", Take());
            if (Tag(_pos) is "DT" or "PRP$") parts.Add(Take());
            while (IsContent(Tag(_pos)) || (Tag(_pos) is "VBG" or "VBN" && IsContent(Tag(_pos + 1))
                && parts.Count > 0)) parts.Add(Take());
            if (parts.Count == 0) parts.Add(Take());
            return new TreeNode("NP", parts);
        }

        private TreeNode NounPhrase(bool allowCoordination)
        {
            var np = BaseNounPhrase();
            while (_pos < N)
            {
                if (StartsPp(_pos)) np = TreeNode.Phrase("NP", np, PrepPhrase());
                else if (Tag(_pos) is "VBG" or "VBN") np = TreeNode.Phrase("NP", np, VerbPhrase());
                else if (Tag(_pos) is "WDT" or "WP" && IsVerbTag(Tag(_pos + 1)))
                {
                    var wh = TreeNode.Phrase("WHNP", Take());
                    np = TreeNode.Phrase("NP", np, TreeNode.Phrase("SBAR", wh, TreeNode.Phrase("S", VerbPhrase())));
                }
                else if (allowCoordination && Tag(_pos) is "CC" && StartsNp(_pos + 1))
                {
                    var cc = Take();
                    return TreeNode.Phrase("NP", np, cc, NounPhrase(allowCoordination: true));
                }
                else break;
            }
            return np;
        }

        private TreeNode PrepPhrase()
        {
            var parts = new List<TreeNode>();
            while (Tag(_pos) is "IN") parts.Add(Take());
            parts.Add(Tag(_pos) is "VBG" ? VerbPhrase() : NounPhrase(allowCoordination: false));
            return new TreeNode("PP", parts);
        }

        private TreeNode VerbPhrase()
        {
            var verb = Take();
            var parts = new List<TreeNode> { verb };
            while (Tag(_pos) is "RB") parts.Add(Take());
            // An auxiliary ("is", "are", "has") followed by a participle heads a VP that contains the participle's VP.
            if (verb.Word is { } w && Tagger.IsAuxiliary(w) && Tag(_pos) is "VBG" or "VBN")
            {
                parts.Add(VerbPhrase());
                return new TreeNode("VP", parts);
            }
            while (_pos < N)
            {
                if (StartsPp(_pos)) parts.Add(PrepPhrase());
                else if (Tag(_pos) is "JJ" && !IsContentNounAhead(_pos)) parts.Add(TreeNode.Phrase("ADJP", Take()));
                else if (StartsNp(_pos) && parts.All(p => p.Label != "NP"))
                    parts.Add(NounPhrase(allowCoordination: false));
                else if (Tag(_pos) is "RB") parts.Add(TreeNode.Phrase("ADVP", Take()));
                else break;
            }
            return new TreeNode("VP", parts);
        }

        private bool IsContentNounAhead(int i)
        {
            var j = i;
            while (IsContent(Tag(j))) j++;
            return j - 1 > i && Tag(j - 1) is "NN" or "NNS";
        }
    }
}
