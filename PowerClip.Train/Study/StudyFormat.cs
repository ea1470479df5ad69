using System.Globalization;

namespace PowerClip.Train.Study;

/// <summary>How the study's numbers are written in its tables (percentages with one decimal).</summary>
public static class StudyFormat
{
    public const string NotImplemented = "not implemented";

    public static string Pct(double x) =>
        double.IsNaN(x) ? "–" : (100 * x).ToString("F1", CultureInfo.InvariantCulture);

    public static string Signed(double x) =>
        double.IsNaN(x) ? "–" : (100 * x).ToString("+0.0;−0.0;0.0", CultureInfo.InvariantCulture);

    /// <summary>"41.2 [39.0, 43.4]"</summary>
    public static string Value(MethodCell c) => $"{Pct(c.Value)} [{Pct(c.Low)}, {Pct(c.High)}]";

    /// <summary>"+2.1 [+0.4, +3.9] (+ + +)"</summary>
    public static string Difference(CellDifference d) =>
        $"{Signed(d.Value)} [{Signed(d.Low)}, {Signed(d.High)}] ({d.Signs})";

    /// <summary>
    /// A table: one row per method, one column per cell of <paramref name="table"/>; <paramref name="cell"/>
    /// formats an entry; a method without an objective gets "not implemented" in every column.
    /// </summary>
    public static (IReadOnlyList<string> Header, List<IReadOnlyList<string>> Rows) Grid(
        StudyOutcome outcome, string table, IEnumerable<StudyMethod> methods, Func<CellRow, StudyMethod, string> cell)
    {
        var cells = outcome.Table.Where(r => r.Table == table).ToArray();
        var rows = methods.Select(m => (IReadOnlyList<string>)
            [m.Name, .. cells.Select(c => m.Implemented ? cell(c, m) : NotImplemented)]).ToList();
        return (["method", .. cells.Select(c => $"{c.Cell} (n={string.Join("+", c.Items)})")], rows);
    }

    public static string ValueOf(CellRow row, StudyMethod m) => row.Of(m.Name) is { } c ? Value(c) : "–";

    public static string DifferenceOf(CellRow row, StudyMethod m, string against) =>
        row.Of(m.Name)?.Differences.FirstOrDefault(d => d.Against == against) is { } d ? Difference(d) : "–";

    /// <summary>Markdown for a header and rows.</summary>
    public static string Markdown(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows) =>
        $"| {string.Join(" | ", header)} |\n|{string.Concat(header.Select(_ => "---|"))}\n" +
        string.Concat(rows.Select(r => $"| {string.Join(" | ", r)} |\n"));
}
