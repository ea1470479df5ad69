using System.Globalization;

namespace PowerClip.Train.Reports;

/// <summary>RFC 4180 CSV cells with invariant, round-trippable numbers.</summary>
public static class Csv
{
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Cell(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal)
            + "\"" : value;

    public static string Line(IEnumerable<string> cells) => string.Join(",", cells.Select(Cell));
}
