using System.Text;

namespace PowerClip.Data;

/// <summary>
/// Image–caption tables: CSV (comma) or TSV (tab, chosen by the .tsv extension), a header row naming the
/// columns (open_clip's defaults: "filepath" and "title"), RFC 4180 quoting. Image paths are relative to the
/// table's folder unless absolute. Rows with a missing field or an undecodable image are skipped and reported.
/// </summary>
public sealed class CsvSource(string path, StreamOptions options, DataProblems problems, string imageColumn = "filepath", string captionColumn = "title") : IRawSampleSource
{
    public char Separator { get; } = path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : ',';

    /// <summary>(key, image path, caption) rows; the key is the 0-based row number.</summary>
    public IEnumerable<(string Key, string Image, string Caption)> Rows()
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        var header = ReadRecord(reader) ?? throw new FormatException($"{path}: empty table, expected a header row");
        var ii = Array.IndexOf(header, imageColumn);
        var ci = Array.IndexOf(header, captionColumn);
        if (ii < 0 || ci < 0)
            throw new FormatException($"{path}: header needs columns '{imageColumn}' and '{captionColumn}', found: {string.Join(", ", header)}");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        for (var row = 0; ReadRecord(reader) is { } fields; row++)
        {
            var key = row.ToString("D9");
            if (fields.Length <= Math.Max(ii, ci) || fields[ii].Length == 0 || string.IsNullOrWhiteSpace(fields[ci]))
            {
                problems.Report(key, "bad row", $"{path} row {row + 1}: missing image path or caption");
                continue;
            }
            yield return (key, Path.Combine(dir, fields[ii]), fields[ci]);
        }
    }

    public IEnumerable<RawSample> Read(int epoch = 0)
    {
        var loader = new ImageLoader(options.MaxPixels);
        var rng = new Random(Seeds.EpochOrder(options.Seed, epoch));
        return Rows().ParallelMap(r =>
            {
                var image = loader.Load(r.Image);
                if (image.Ok) return new RawSample(r.Key, r.Caption.Trim(), image.Image!);
                problems.Report($"{r.Key} ({r.Image})", image.Reason, image.Detail);
                return null;
            }, options.Threads)
            .Shuffle(options.ShuffleBuffer, rng);
    }

    /// <summary>Reads one record (fields may be quoted, contain separators, doubled quotes and line breaks); null at the end.</summary>
    private string[]? ReadRecord(TextReader reader)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        var quoted = false;
        var any = false;
        while (true)
        {
            var c = reader.Read();
            if (c < 0)
            {
                if (!any) return null;
                fields.Add(sb.ToString());
                return fields.ToArray();
            }
            any = true;
            var ch = (char)c;
            if (quoted)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"') { reader.Read(); sb.Append('"'); }
                    else quoted = false;
                }
                else sb.Append(ch);
            }
            else if (ch == '"' && sb.Length == 0) quoted = true;
            else if (ch == Separator) { fields.Add(sb.ToString()); sb.Clear(); }
            else if (ch == '\r') { }
            else if (ch == '\n')
            {
                fields.Add(sb.ToString());
                if (fields.Count == 1 && fields[0].Length == 0) { fields.Clear(); any = false; continue; } // blank line
                return fields.ToArray();
            }
            else sb.Append(ch);
        }
    }
}
