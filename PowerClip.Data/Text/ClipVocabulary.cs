using System.IO.Compression;
using System.Text;

namespace PowerClip.Data;

/// <summary>
/// CLIP's BPE vocabulary, built from its merges file exactly as open_clip's <c>SimpleTokenizer</c> builds it: the
/// 256 byte symbols (GPT-2's bytes_to_unicode order), the same with "&lt;/w&gt;", one entry per merge (the first
/// 48,894 lines after the header line), then &lt;start_of_text&gt; and &lt;end_of_text&gt;. With the real file
/// (bpe_simple_vocab_16e6.txt.gz) that is 49,408 ids, start 49406 and end 49407.
/// </summary>
public sealed record ClipVocabulary(IReadOnlyList<string> Merges, IReadOnlyDictionary<string, int> Ids)
{
    /// <summary>open_clip reads lines [1, 49152 − 256 − 2] of the file: 48,894 merges.</summary>
    public const int MergeCount = 49152 - 256 - 2;
    public const string StartToken = "<start_of_text>";
    public const string EndToken = "<end_of_text>";
    public const string FileName = "bpe_simple_vocab_16e6.txt.gz";

    /// <summary>Where the file comes from (we do not ship it), for error messages.</summary>
    public const string Provenance = "open_clip ships it in its package as src/open_clip/" + FileName +
        " (OpenAI's CLIP as clip/" + FileName + "); PowerClip does not ship it";

    public int StartId => Ids[StartToken];
    public int EndId => Ids[EndToken];

    /// <summary>
    /// Reads a merges file, gzip-compressed (as shipped) or plain text. The first line is the "#version" header
    /// (the real file's reads "bpe_simple_vocab_16e6.txt#version: 0.2"); then one merge "a b" per line.
    /// Throws FileNotFoundException or FormatException naming the file (and the line).
    /// </summary>
    public static ClipVocabulary Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"CLIP BPE file not found: {path} ({FileName}: {Provenance})", path);
        var lines = ReadLines(path);
        if (lines.Length == 0 || !lines[0].Contains("#version", StringComparison.Ordinal))
            throw new FormatException($"CLIP BPE file {path}: line 1 is not the '#version' header of {FileName}");
        var merges = new List<string>();
        // open_clip keeps lines 1 … 48894 as they are; only a file shorter than that (a test file) ends in an empty
        // line, which open_clip would turn into an empty vocabulary entry and we skip.
        for (var i = 1; i < lines.Length && i <= MergeCount; i++)
        {
            if (lines[i].Length == 0 && i == lines.Length - 1) break;
            var parts = lines[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
                throw new FormatException($"CLIP BPE file {path}: line {i + 1} '{lines[i]}' is not a merge 'a b'");
            merges.Add(parts[0] + " " + parts[1]);
        }
        var symbols = ByteSymbols();
        var vocab = symbols.Concat(symbols.Select(c => c + "</w>"))
            .Concat(merges.Select(m => m.Replace(" ", "", StringComparison.Ordinal)))
            .Append(StartToken).Append(EndToken).ToList();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var v in vocab)
            if (!ids.TryAdd(v, ids.Count))
                throw new FormatException(
                    $"CLIP BPE file {path}: the merges give '{v}' twice (a CLIP vocabulary has each token once)");
        return new ClipVocabulary(merges, ids);
    }

    private static string[] ReadLines(string path)
    {
        using var file = File.OpenRead(path);
        var gzip = file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        using Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: true));
        try
        {
            return reader.ReadToEnd().Split('\n');
        }
        catch (Exception e) when (e is InvalidDataException or DecoderFallbackException)
        {
            throw new FormatException($"CLIP BPE file {path}: not UTF-8 text or gzip ({e.Message})", e);
        }
    }

    /// <summary>GPT-2/CLIP bytes_to_unicode in vocabulary order: printable bytes, then others as 256 + n.</summary>
    public static string[] ByteSymbols()
    {
        var bytes = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1))
            .Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToList();
        var chars = bytes.ToList();
        var n = 0;
        for (var b = 0; b < 256; b++)
            if (!bytes.Contains(b)) { bytes.Add(b); chars.Add(256 + n++); }
        return chars.Select(c => ((char)c).ToString()).ToArray();
    }
}
