using System.Globalization;
using System.Net;
using System.Text;

namespace PowerClip.Data;

/// <summary>
/// CLIP's text cleaning before BPE (open_clip <c>SimpleTokenizer</c>, clean = 'lower'): <c>ftfy.fix_text</c>,
/// <c>html.unescape</c> twice, strip, white-space collapse; the tokenizer then lower-cases.
/// ftfy has no .NET port: its deterministic table-driven fixes are reproduced here (HTML entities unless the text has
/// a '&lt;', curly quotes, Latin ligatures, fullwidth/halfwidth forms, invisible control characters); not reproduced:
/// its NFC normalization (.NET's invariant globalization mode, which the project uses, has no normalization data:
/// text that is not already NFC, e.g. "e" + U+0301, tokenizes differently), its heuristic mojibake repair
/// (fix_encoding, C1 controls, UTF-16 surrogates), terminal escapes and all-caps entities. HTML entities are decoded
/// by .NET's <see cref="WebUtility.HtmlDecode"/>, which knows HTML 4's 253 named entities and needs the closing ';'
/// (Python's html.unescape knows HTML 5's 2,231 and a few without ';', e.g. "&amp").
/// </summary>
public static class ClipTextCleaner
{
    /// <summary>The cleaned caption (not lower-cased), which the tree and the word spans refer to.</summary>
    public static string Clean(string text)
    {
        var fixedText = FixText(text);
        return CaptionText.Normalize(WebUtility.HtmlDecode(WebUtility.HtmlDecode(fixedText)));
    }

    /// <summary>The subset of ftfy.fix_text described above, in ftfy's order, repeated until nothing changes (as
    /// ftfy does).</summary>
    public static string FixText(string text)
    {
        // ftfy's unescape_html = "auto": entities are decoded unless a literal '<' says the text is HTML.
        var unescape = !text.Contains('<');
        for (var round = 0; round < 8; round++)
        {
            var next = RemoveControls(Uncurl(Widths(Ligatures(unescape ? WebUtility.HtmlDecode(text) : text))));
            if (next == text) break;
            text = next;
        }
        return text;
    }

    // ftfy chardata: SINGLE_QUOTE_RE = [\u02bc\u2018-\u201b], DOUBLE_QUOTE_RE = [\u201c-\u201f].
    private static string Uncurl(string s) => Map(s, c => c == '\u02bc' || c is >= '\u2018' and <= '\u201b' ? "'"
        : c is >= '\u201c' and <= '\u201f' ? "\"" : null);

    // ftfy chardata.LIGATURES.
    private static readonly Dictionary<char, string> LigatureMap = new()
    {
        ['Ĳ'] = "IJ", ['ĳ'] = "ij", ['ŉ'] = "ʼn", ['Ǳ'] = "DZ", ['ǲ'] = "Dz", ['ǳ'] = "dz", ['Ǆ'] = "DŽ", ['ǅ'] = "Dž",
        ['ǆ'] = "dž", ['Ǉ'] = "LJ", ['ǈ'] = "Lj", ['ǉ'] = "lj", ['Ǌ'] = "NJ", ['ǋ'] = "Nj", ['ǌ'] = "nj", ['ﬀ'] = "ff",
        ['ﬁ'] = "fi", ['ﬂ'] = "fl", ['ﬃ'] = "ffi", ['ﬄ'] = "ffl", ['ﬅ'] = "ſt", ['ﬆ'] = "st",
    };

    private static string Ligatures(string s) => Map(s, c => LigatureMap.GetValueOrDefault(c));

    private static string Widths(string s) => Map(s, FtfyWidthMap.Map);

    // ftfy chardata.CONTROL_CHARS: U+00–08, 0B, 0E–1F, 7F, U+206A–206F, FEFF, FFF9–FFFC are removed.
    private static string RemoveControls(string s) => Map(s, c =>
        c is <= '\u0008' or '\u000b' or (>= '\u000e' and <= '\u001f') or '\u007f' or (>= '\u206a' and <= '\u206f')
            or '\ufeff' or (>= '\ufff9' and <= '\ufffc') ? "" : null);

    /// <summary>Replaces each character for which <paramref name="replace"/> gives a string; copies the rest.</summary>
    private static string Map(string s, Func<char, string?> replace)
    {
        StringBuilder? sb = null;
        for (var i = 0; i < s.Length; i++)
        {
            var r = replace(s[i]);
            if (r is null) { sb?.Append(s[i]); continue; }
            sb ??= new StringBuilder(s.Length).Append(s, 0, i);
            sb.Append(r);
        }
        return sb?.ToString() ?? s;
    }

    /// <summary>Lower case as CLIP applies it after cleaning; .NET's invariant simple case mapping keeps the length
    /// (Python's str.lower differs for 'İ', which it maps to two characters, and for a word-final 'Σ').</summary>
    public static string Lower(string s)
    {
        var lower = s.ToLower(CultureInfo.InvariantCulture);
        return lower.Length == s.Length
            ? lower : throw new InvalidOperationException("lower-casing changed the caption's length");
    }
}
