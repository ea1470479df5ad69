namespace PowerClip.Data;

/// <summary>
/// ftfy's character-width table (ftfy.chardata.WIDTH_MAP: U+3000 → space, each of U+FF01…U+FFEF → its NFKC form
/// where that differs), written out because .NET's invariant globalization mode (Directory.Build.props) has no
/// Unicode normalization data. Generated with Python 3.11's unicodedata (Unicode 14.0):
/// <c>{i: unicodedata.normalize("NFKC", chr(i)) for i in range(0xFF01, 0xFFF0)}</c>, keeping the entries that change.
/// </summary>
internal static class FtfyWidthMap
{
    /// <summary>The standard-width text of a fullwidth or halfwidth form, or null when ftfy leaves it.</summary>
    public static string? Map(char c) => c switch
    {
        '\u3000' => " ",
        // Fullwidth ASCII U+FF01…U+FF5E is ASCII U+0021…U+007E shifted by 0xFEE0.
        >= '\uff01' and <= '\uff5e' => ((char)(c - 0xFEE0)).ToString(),
        _ => Rest.GetValueOrDefault(c),
    };

    private static readonly Dictionary<char, string> Rest = new()
    {
        ['\uff5f'] = "\u2985", ['\uff60'] = "\u2986", ['\uff61'] = "\u3002", ['\uff62'] = "\u300c",
        ['\uff63'] = "\u300d", ['\uff64'] = "\u3001", ['\uff65'] = "\u30fb", ['\uff66'] = "\u30f2",
        ['\uff67'] = "\u30a1", ['\uff68'] = "\u30a3", ['\uff69'] = "\u30a5", ['\uff6a'] = "\u30a7",
        ['\uff6b'] = "\u30a9", ['\uff6c'] = "\u30e3", ['\uff6d'] = "\u30e5", ['\uff6e'] = "\u30e7",
        ['\uff6f'] = "\u30c3", ['\uff70'] = "\u30fc", ['\uff71'] = "\u30a2", ['\uff72'] = "\u30a4",
        ['\uff73'] = "\u30a6", ['\uff74'] = "\u30a8", ['\uff75'] = "\u30aa", ['\uff76'] = "\u30ab",
        ['\uff77'] = "\u30ad", ['\uff78'] = "\u30af", ['\uff79'] = "\u30b1", ['\uff7a'] = "\u30b3",
        ['\uff7b'] = "\u30b5", ['\uff7c'] = "\u30b7", ['\uff7d'] = "\u30b9", ['\uff7e'] = "\u30bb",
        ['\uff7f'] = "\u30bd", ['\uff80'] = "\u30bf", ['\uff81'] = "\u30c1", ['\uff82'] = "\u30c4",
        ['\uff83'] = "\u30c6", ['\uff84'] = "\u30c8", ['\uff85'] = "\u30ca", ['\uff86'] = "\u30cb",
        ['\uff87'] = "\u30cc", ['\uff88'] = "\u30cd", ['\uff89'] = "\u30ce", ['\uff8a'] = "\u30cf",
        ['\uff8b'] = "\u30d2", ['\uff8c'] = "\u30d5", ['\uff8d'] = "\u30d8", ['\uff8e'] = "\u30db",
        ['\uff8f'] = "\u30de", ['\uff90'] = "\u30df", ['\uff91'] = "\u30e0", ['\uff92'] = "\u30e1",
        ['\uff93'] = "\u30e2", ['\uff94'] = "\u30e4", ['\uff95'] = "\u30e6", ['\uff96'] = "\u30e8",
        ['\uff97'] = "\u30e9", ['\uff98'] = "\u30ea", ['\uff99'] = "\u30eb", ['\uff9a'] = "\u30ec",
        ['\uff9b'] = "\u30ed", ['\uff9c'] = "\u30ef", ['\uff9d'] = "\u30f3", ['\uff9e'] = "\u3099",
        ['\uff9f'] = "\u309a", ['\uffa0'] = "\u1160", ['\uffa1'] = "\u1100", ['\uffa2'] = "\u1101",
        ['\uffa3'] = "\u11aa", ['\uffa4'] = "\u1102", ['\uffa5'] = "\u11ac", ['\uffa6'] = "\u11ad",
        ['\uffa7'] = "\u1103", ['\uffa8'] = "\u1104", ['\uffa9'] = "\u1105", ['\uffaa'] = "\u11b0",
        ['\uffab'] = "\u11b1", ['\uffac'] = "\u11b2", ['\uffad'] = "\u11b3", ['\uffae'] = "\u11b4",
        ['\uffaf'] = "\u11b5", ['\uffb0'] = "\u111a", ['\uffb1'] = "\u1106", ['\uffb2'] = "\u1107",
        ['\uffb3'] = "\u1108", ['\uffb4'] = "\u1121", ['\uffb5'] = "\u1109", ['\uffb6'] = "\u110a",
        ['\uffb7'] = "\u110b", ['\uffb8'] = "\u110c", ['\uffb9'] = "\u110d", ['\uffba'] = "\u110e",
        ['\uffbb'] = "\u110f", ['\uffbc'] = "\u1110", ['\uffbd'] = "\u1111", ['\uffbe'] = "\u1112",
        ['\uffc2'] = "\u1161", ['\uffc3'] = "\u1162", ['\uffc4'] = "\u1163", ['\uffc5'] = "\u1164",
        ['\uffc6'] = "\u1165", ['\uffc7'] = "\u1166", ['\uffca'] = "\u1167", ['\uffcb'] = "\u1168",
        ['\uffcc'] = "\u1169", ['\uffcd'] = "\u116a", ['\uffce'] = "\u116b", ['\uffcf'] = "\u116c",
        ['\uffd2'] = "\u116d", ['\uffd3'] = "\u116e", ['\uffd4'] = "\u116f", ['\uffd5'] = "\u1170",
        ['\uffd6'] = "\u1171", ['\uffd7'] = "\u1172", ['\uffda'] = "\u1173", ['\uffdb'] = "\u1174",
        ['\uffdc'] = "\u1175", ['\uffe0'] = "\u00a2", ['\uffe1'] = "\u00a3", ['\uffe2'] = "\u00ac",
        ['\uffe3'] = "\u0020\u0304", ['\uffe4'] = "\u00a6", ['\uffe5'] = "\u00a5", ['\uffe6'] = "\u20a9",
        ['\uffe8'] = "\u2502", ['\uffe9'] = "\u2190", ['\uffea'] = "\u2191", ['\uffeb'] = "\u2192",
        ['\uffec'] = "\u2193", ['\uffed'] = "\u25a0", ['\uffee'] = "\u25cb",
    };
}
