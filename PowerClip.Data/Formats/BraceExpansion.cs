using System.Globalization;

namespace PowerClip.Data;

/// <summary>
/// Shard lists as WebDataset and img2dataset write them: "data/{00000..00099}.tar" (numeric ranges keep the
/// zero padding of the start), "{train,val}-{0..3}.tar" (alternatives, nested), several patterns joined by "::".
/// </summary>
public static class BraceExpansion
{
    public static IReadOnlyList<string> Expand(string pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern)) throw new ArgumentException("empty shard pattern");
        return pattern.Split("::", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .SelectMany(ExpandOne).ToArray();
    }

    private static IEnumerable<string> ExpandOne(string p)
    {
        var open = p.IndexOf('{');
        if (open < 0)
        {
            if (p.Contains('}')) throw new FormatException($"shard pattern '{p}' has '}}' without '{{'");
            return [p];
        }
        var depth = 0;
        var close = -1;
        var commas = new List<int>();
        for (var i = open; i < p.Length && close < 0; i++)
        {
            if (p[i] == '{') depth++;
            else if (p[i] == '}' && --depth == 0) close = i;
            else if (p[i] == ',' && depth == 1) commas.Add(i);
        }
        if (close < 0) throw new FormatException($"shard pattern '{p}' has an unclosed '{{'");
        var (prefix, body, suffix) = (p[..open], p[(open + 1)..close], p[(close + 1)..]);
        IEnumerable<string> options;
        if (commas.Count > 0)
        {
            var cuts = new[] { open }.Concat(commas).Append(close).ToArray();
            options = Enumerable.Range(0, cuts.Length - 1).SelectMany(k => ExpandOne(p[(cuts[k] + 1)..cuts[k + 1]]));
        }
        else options = Range(body, p);
        var tails = ExpandOne(suffix).ToArray();
        return options.SelectMany(o => tails.Select(t => prefix + o + t));
    }

    private static IEnumerable<string> Range(string body, string pattern)
    {
        var parts = body.Split("..");
        if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var a)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var b))
            throw new FormatException($"shard pattern '{pattern}': '{{{body}}}' is neither a range {{a..b}} nor a " +
                $"list {{x,y}}");
        if (b < a) throw new FormatException($"shard pattern '{pattern}': range {{{body}}} runs backwards");
        if (b - a > 10_000_000) throw new FormatException($"shard pattern '{pattern}': range {{{body}}} is too long");
        var width = parts[0].Length;
        for (var i = a; i <= b; i++) yield return i.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0');
    }
}
