using System.Net;
using System.Text;
using Plotly.NET;

namespace PowerClip.Train.Reports;

/// <summary>
/// A self-contained HTML report: headings, text, tables and Plotly.NET charts on one page, with plotly.js
/// embedded once from Plotly.NET's own resource, so the file renders offline (the CDN default gives a blank page).
/// </summary>
public sealed class HtmlReport(string title)
{
    private readonly List<string> _parts = [];

    public HtmlReport Heading(string text)
    {
        _parts.Add($"<h2>{WebUtility.HtmlEncode(text)}</h2>");
        return this;
    }

    public HtmlReport Paragraph(string text)
    {
        _parts.Add($"<p>{WebUtility.HtmlEncode(text)}</p>");
        return this;
    }

    public HtmlReport Code(string text)
    {
        _parts.Add($"<pre>{WebUtility.HtmlEncode(text)}</pre>");
        return this;
    }

    public HtmlReport Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var sb = new StringBuilder("<table><tr>");
        foreach (var h in header) sb.Append("<th>").Append(WebUtility.HtmlEncode(h)).Append("</th>");
        sb.Append("</tr>");
        foreach (var row in rows)
        {
            sb.Append("<tr>");
            foreach (var cell in row) sb.Append("<td>").Append(WebUtility.HtmlEncode(cell)).Append("</td>");
            sb.Append("</tr>");
        }
        _parts.Add(sb.Append("</table>").ToString());
        return this;
    }

    /// <summary>A PNG embedded as a data URI (the report stays one self-contained file), with a caption.</summary>
    public HtmlReport Image(byte[] png, string caption)
    {
        _parts.Add($"<figure><img src=\"data:image/png;base64,{Convert.ToBase64String(png)}\" " +
            "style=\"image-rendering:pixelated;max-width:100%\"/>" +
                   $"<figcaption>{WebUtility.HtmlEncode(caption)}</figcaption></figure>");
        return this;
    }

    /// <summary>Charts side by side, wrapping: a grid of small panels without Plotly's subplot machinery.</summary>
    public HtmlReport Charts(IEnumerable<GenericChart> charts)
    {
        var sb = new StringBuilder("<div class=\"panels\">");
        foreach (var chart in charts) sb.Append(GenericChart.toChartHTML(chart));
        _parts.Add(sb.Append("</div>").ToString());
        return this;
    }

    public string ToHtml() =>
        $$"""
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>{{WebUtility.HtmlEncode(title)}}</title>
        <style>body{font-family:sans-serif;margin:2em} table{border-collapse:collapse;font-size:0.85em}
        td,th{border:1px solid #ccc;padding:2px 6px;text-align:right} .panels{display:flex;flex-wrap:wrap}
        pre{background:#f4f4f4;padding:0.5em;white-space:pre-wrap}</style>
        <script type="text/javascript">{{PlotlyJs()}}</script>
        </head><body><h1>{{WebUtility.HtmlEncode(title)}}</h1>
        {{string.Join("\n", _parts)}}
        </body></html>
        """;

    public void Save(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, ToHtml(), new UTF8Encoding(false));
    }

    /// <summary>The minified plotly.js that Plotly.NET ships as a resource.</summary>
    public static string PlotlyJs()
    {
        var assembly = typeof(GenericChart).Assembly;
        var name = assembly.GetManifestResourceNames()
            .FirstOrDefault(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal)
                && n.EndsWith(".min.js", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("Plotly.NET has no embedded plotly.js resource; cannot write a " +
                "self-contained report");
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        // A literal "</script>" inside the library would end the inline script early.
        return reader.ReadToEnd().Replace("</script>", "<\\/script>", StringComparison.Ordinal);
    }
}
