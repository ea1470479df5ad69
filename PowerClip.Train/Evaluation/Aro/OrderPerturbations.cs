using System.Text.RegularExpressions;
using PowerClip.Data;

namespace PowerClip.Train.Evaluation;

/// <summary>
/// ARO's COCO-Order / Flickr30k-Order caption perturbations (mertyg/vision-language-models-are-bows,
/// dataset_zoo/perturbations.py, TextShuffler) and its caption cleaning (dataset_zoo/retrieval.py, pre_caption),
/// reimplemented with this project's tokenizer and tagger. Each perturbation is a pure function of the caption and the
/// random stream it is given. Where ours differ from the original:
/// <list type="bullet">
/// <item>tokens: <see cref="CaptionText.Split"/> for all four (the original uses spaCy's tokenizer for the
/// noun/adjective shuffles and NLTK's word_tokenize for the trigram ones). Both split punctuation off; ours keeps
/// hyphenated words ("black-and-white") and contractions ("don't") whole, which spaCy and NLTK split;</item>
/// <item>part-of-speech tags: the built-in rule-based tagger of <see cref="CaptionParser"/> (nouns NN/NNS, adjectives
/// JJ) instead of spaCy's en_core_web_sm (NN, NNS, NNP, NNPS; JJ, JJR, JJS). Ours has no proper-noun and no comparative
/// tags: proper nouns are NN (still nouns), comparatives ("bigger") are not adjectives; words outside its lexicon
/// default to nouns, so it finds more nouns than spaCy on rare words;</item>
/// <item>randomness: a seeded System.Random (Fisher–Yates) instead of NumPy's and Python's global generators, so the
/// same seed gives the same perturbations on every run, but not the original's draws.</item>
/// </list>
/// </summary>
public static partial class OrderPerturbations
{
    /// <summary>The four perturbations in the order of the original's caption options 1–4.</summary>
    public static readonly string[] Names =
        ["shuffle_nouns_and_adj", "shuffle_allbut_nouns_and_adj", "shuffle_within_trigrams", "shuffle_trigrams"];

    public static string Apply(int perturbation, string caption, Random rng) => perturbation switch
    {
        0 => ShuffleNounsAndAdjectives(caption, rng),
        1 => ShuffleAllButNounsAndAdjectives(caption, rng),
        2 => ShuffleWithinTrigrams(caption, rng),
        3 => ShuffleTrigrams(caption, rng),
        _ => throw new ArgumentOutOfRangeException(nameof(perturbation), perturbation, "ARO has four perturbations"),
    };

    /// <summary>Nouns exchange places among themselves, and adjectives among themselves.</summary>
    public static string ShuffleNounsAndAdjectives(string caption, Random rng)
    {
        var (words, tags) = Tagged(caption);
        Permute(words, Enumerable.Range(0, words.Length).Where(i => IsNoun(tags[i])).ToArray(), rng);
        Permute(words, Enumerable.Range(0, words.Length).Where(i => IsAdjective(tags[i])).ToArray(), rng);
        return string.Join(' ', words);
    }

    /// <summary>Every token that is neither a noun nor an adjective exchanges places with the others of its
    /// kind.</summary>
    public static string ShuffleAllButNounsAndAdjectives(string caption, Random rng)
    {
        var (words, tags) = Tagged(caption);
        var others = Enumerable.Range(0, words.Length).Where(i => !IsNoun(tags[i]) && !IsAdjective(tags[i]));
        Permute(words, others.ToArray(), rng);
        return string.Join(' ', words);
    }

    /// <summary>Consecutive groups of three tokens (the last may be shorter), each shuffled in place.</summary>
    public static string ShuffleWithinTrigrams(string caption, Random rng)
    {
        var trigrams = Trigrams(Tokens(caption));
        foreach (var t in trigrams) Shuffle(t, rng);
        return string.Join(' ', trigrams.Select(t => string.Join(' ', t)));
    }

    /// <summary>The groups of three tokens keep their insides and change order.</summary>
    public static string ShuffleTrigrams(string caption, Random rng)
    {
        var trigrams = Trigrams(Tokens(caption));
        Shuffle(trigrams, rng);
        return string.Join(' ', trigrams.Select(t => string.Join(' ', t)));
    }

    /// <summary>
    /// ARO's pre_caption (from BLIP): lower case; each of . ! " ( ) * # : ; ~ becomes a space; runs of two or more
    /// white space characters become one space; trailing newlines and outer spaces are removed; at most
    /// <paramref name="maxWords"/> space-separated words are kept (ARO's order tests use 30).
    /// </summary>
    public static string PreCaption(string caption, int maxWords = 30)
    {
        var c = Punctuation().Replace(caption.ToLowerInvariant(), " ");
        c = WhiteSpaceRun().Replace(c, " ").TrimEnd('\n').Trim(' ');
        var words = c.Split(' ');
        return words.Length > maxWords ? string.Join(' ', words.Take(maxWords)) : c;
    }

    [GeneratedRegex("""[.!"()*#:;~]""")]
    private static partial Regex Punctuation();

    [GeneratedRegex(@"\s{2,}")]
    private static partial Regex WhiteSpaceRun();

    private static bool IsNoun(string tag) => tag is "NN" or "NNS" or "NNP" or "NNPS";

    private static bool IsAdjective(string tag) => tag is "JJ" or "JJR" or "JJS";

    private static string[] Tokens(string caption) =>
        CaptionText.Split(CaptionText.Normalize(caption)).Select(w => w.Text).ToArray();

    /// <summary>Words and their tags from the built-in parser (which tokenizes exactly as <see
    /// cref="Tokens"/>).</summary>
    private static (string[] Words, string[] Tags) Tagged(string caption)
    {
        if (Tokens(caption).Length == 0) return ([], []);
        var leaves = new List<TreeNode>();
        void Walk(TreeNode n) { if (n.Word is not null) leaves.Add(n); else foreach (var c in n.Children) Walk(c); }
        Walk(CaptionParser.Parse(caption).Root);
        return (leaves.Select(l => l.Word!).ToArray(), leaves.Select(l => l.Label).ToArray());
    }

    private static List<List<string>> Trigrams(string[] tokens) =>
        tokens.Chunk(3).Select(c => c.ToList()).ToList();

    /// <summary>A uniform permutation of the words at <paramref name="positions"/> (np.random.permutation of that
    /// subarray).</summary>
    private static void Permute(string[] words, int[] positions, Random rng)
    {
        var values = positions.Select(p => words[p]).ToList();
        Shuffle(values, rng);
        for (var k = 0; k < positions.Length; k++) words[positions[k]] = values[k];
    }

    private static void Shuffle<T>(IList<T> list, Random rng)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
