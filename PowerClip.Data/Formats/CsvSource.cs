using System.Text;

namespace PowerClip.Data;

/// <summary>
/// Image–caption tables: CSV (comma) or TSV (tab, chosen by the .tsv extension), a header row naming the
/// columns (open_clip's defaults: "filepath" and "title"), RFC 4180 quoting. Image paths are relative to the
/// table's folder unless absolute. Rows with a missing field or an undecodable image are skipped and reported; a
/// quote that never closes is an error naming its line (it would swallow the rest of the file into one row).
/// Rows (text only) pass the shuffle buffer before their images are loaded, so a <see cref="DataPosition"/>
/// (row index + buffered rows) resumes without loading an image before it; with a <paramref name="stride"/>,
/// a rank loads only its own rows' images.
/// </summary>
public sealed class CsvSource(
    string path, StreamOptions options, DataProblems problems, string imageColumn = "filepath",
        string captionColumn = "title",
    RankStride stride = default) : IResumableSource
{
    public char Separator { get; } = path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : ',';

    public string Identity { get; } = $"csv {Path.GetFileName(path)}{stride}";

    /// <summary>(key, image path, caption) rows; the key is the 0-based row number.</summary>
    public IEnumerable<(string Key, string Image, string Caption)> Rows() =>
        RowsFrom(0, problems).Select(r => (r.Key, r.Image, r.Caption));

    /// <summary>
    /// Rows from row <paramref name="first"/> on; the rows before it are parsed, not reported (they were when first
    /// read).
    /// </summary>
    private IEnumerable<(long Row, string Key, string Image, string Caption)> RowsFrom(long first, DataProblems report)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        var cursor = new Cursor(reader);
        var header = ReadRecord(cursor) ?? throw new FormatException($"{path}: empty table, expected a header row");
        var ii = Array.IndexOf(header, imageColumn);
        var ci = Array.IndexOf(header, captionColumn);
        if (ii < 0 || ci < 0)
            throw new FormatException($"{path}: header needs columns '{imageColumn}' and '{captionColumn}', found: " +
                $"{string.Join(", ", header)}");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        for (var row = 0; ReadRecord(cursor) is { } fields; row++)
        {
            if (row < first) continue;
            var key = row.ToString("D9");
            if (fields.Length <= Math.Max(ii, ci) || fields[ii].Length == 0 || string.IsNullOrWhiteSpace(fields[ci]))
            {
                report.Report(key, "bad row", $"{path} row {row + 1}: missing image path or caption");
                continue;
            }
            yield return (row, key, Path.Combine(dir, fields[ii]), fields[ci]);
        }
    }

    public IEnumerable<RawSample> Read(int epoch = 0) => ReadFrom(DataPosition.Start(epoch)).Select(p => p.Item);

    public IEnumerable<Positioned<RawSample>> ReadFrom(DataPosition from)
    {
        var loader = new ImageLoader(options.MaxPixels);
        var pipeline = new RecordPipeline<(string Key, string Image, string Caption)>(
            (_, cursor) => RowsFrom(cursor.Offset, problems).Select(r => new SourceRecord<(string, string, string)>(
                new RecordRef(0, r.Row), new RecordRef(0, r.Row + 1), (r.Key, r.Image, r.Caption))),
            (_, refs) => Restore(refs),
            r =>
            {
                var image = loader.Load(r.Image);
                if (image.Ok) return new RawSample(r.Key, r.Caption.Trim(), image.Image!);
                problems.Report($"{r.Key} ({r.Image})", image.Reason, image.Detail);
                return null;
            },
            options, stride, Identity);
        return pipeline.ReadFrom(from);
    }

    /// <summary>The rows a saved shuffle buffer names: one pass over the table's text from the oldest one.</summary>
    private IReadOnlyList<(string Key, string Image, string Caption)> Restore(IReadOnlyList<RecordRef> refs)
    {
        var wanted = refs.Select(r => r.Offset).ToHashSet();
        var found = new Dictionary<long, (string, string, string)>();
        foreach (var r in RowsFrom(wanted.Min(), new DataProblems()))
        {
            if (wanted.Contains(r.Row)) found[r.Row] = (r.Key, r.Image, r.Caption);
            if (found.Count == wanted.Count) break;
        }
        return refs.Select(r => found.TryGetValue(r.Offset, out var row) ? row
            : throw new InvalidDataException(
                $"the saved shuffle buffer names row {r.Offset + 1} of {path}, which is not a usable row: " +
                "has the table changed?"))
            .ToArray();
    }

    /// <summary>
    /// A quoted field longer than this is taken for an unterminated quote (1 Mi characters: captions are short,
    /// and a stray quote would otherwise pull the rest of the file into memory as one field).
    /// </summary>
    public const int MaxQuotedChars = 1 << 20;

    /// <summary>A reader that counts lines, so errors can name the line where a quoted field opened.</summary>
    private sealed class Cursor(TextReader reader)
    {
        public TextReader Reader { get; } = reader;
        public int Line { get; set; } = 1;
    }

    /// <summary>
    /// Reads one record (fields may be quoted, contain separators, doubled quotes and line breaks); null at the end.
    /// A quote that never closes is a <see cref="FormatException"/> naming the file and the line it opened on.
    /// </summary>
    private string[]? ReadRecord(Cursor cursor)
    {
        var reader = cursor.Reader;
        var fields = new List<string>();
        var sb = new StringBuilder();
        var quoted = false;
        var any = false;
        var openedOn = 0;
        while (true)
        {
            var c = reader.Read();
            if (c < 0)
            {
                if (quoted) throw Unterminated(openedOn, "it runs to the end of the file");
                if (!any) return null;
                fields.Add(sb.ToString());
                return fields.ToArray();
            }
            any = true;
            var ch = (char)c;
            if (ch == '\n') cursor.Line++;
            if (quoted)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"') { reader.Read(); sb.Append('"'); }
                    else quoted = false;
                }
                else if (sb.Length >= MaxQuotedChars)
                    throw Unterminated(openedOn, $"its field runs past {MaxQuotedChars:N0} characters");
                else sb.Append(ch);
            }
            else if (ch == '"' && sb.Length == 0) (quoted, openedOn) = (true, cursor.Line);
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

    private FormatException Unterminated(int line, string why) =>
        new($"{path} line {line}: unterminated quote: the quoted field opened on this line never closes ({why})");
}
