using Plotly.NET;

namespace PowerClip.Train.Reports;

/// <summary>
/// The chart shapes the reports use, built from Plotly.NET trace and layout objects whose properties carry
/// plotly.js's own attribute names (Plotly.NET's F#-optional-argument API is awkward from C#).
/// </summary>
public static class ReportCharts
{
    /// <summary>A square scatter panel of y against x with the line y = x, for exact-vs-approximate plots.</summary>
    public static GenericChart Scatter(IReadOnlyList<double> x, IReadOnlyList<double> y, string title, string xTitle,
        string yTitle, int size = 340)
    {
        var lo = Math.Min(x.Min(), y.Min());
        var hi = Math.Max(x.Max(), y.Max());
        var points = Trace("markers", "cases", x, y);
        points.SetProperty("marker", new { size = 4, color = "rgba(31,119,180,0.45)" });
        var diagonal = Trace("lines", "y = x", [lo, hi], [lo, hi]);
        diagonal.SetProperty("line", new { color = "gray", width = 1 });
        return Build([points, diagonal], title, xTitle, yTitle, size, size, showLegend: false);
    }

    /// <summary>Named line series with markers over a shared x axis.</summary>
    public static GenericChart Lines(IEnumerable<(string Name, double[] X, double[] Y)> series, string title,
        string xTitle, string yTitle, int width = 560, int height = 400)
    {
        var traces = series.Select(s => Trace("lines+markers", s.Name, s.X, s.Y)).ToArray();
        return Build(traces, title, xTitle, yTitle, width, height, showLegend: true);
    }

    /// <summary>Grouped bars with asymmetric error bars (e.g. accuracy per category with 95% intervals).</summary>
    public static GenericChart Bars(IReadOnlyList<string> categories,
        IEnumerable<(string Name, double[] Value, double[] Low, double[] High)> series,
                                    string title, string yTitle, int width = 900, int height = 420)
    {
        var traces = series.Select(s =>
        {
            var trace = new Trace2D("bar");
            trace.SetProperty("name", s.Name);
            trace.SetProperty("x", categories.ToArray());
            trace.SetProperty("y", s.Value);
            trace.SetProperty("error_y", new
            {
                type = "data", symmetric = false,
                array = s.High.Zip(s.Value, (h, v) => h - v).ToArray(),
                arrayminus = s.Value.Zip(s.Low, (v, l) => v - l).ToArray(),
            });
            return trace;
        }).ToArray();
        var chart = Build(traces, title, "", yTitle, width, height, showLegend: true);
        var layout = new Layout();
        layout.SetProperty("barmode", "group");
        return GenericChart.addLayout(layout, chart);
    }

    private static Trace2D Trace(string mode, string name, IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var trace = new Trace2D("scatter");
        trace.SetProperty("mode", mode);
        trace.SetProperty("name", name);
        trace.SetProperty("x", x.ToArray());
        trace.SetProperty("y", y.ToArray());
        return trace;
    }

    private static GenericChart Build(Trace2D[] traces, string title, string xTitle, string yTitle, int width,
        int height, bool showLegend)
    {
        var layout = new Layout();
        layout.SetProperty("title", new { text = title, font = new { size = 13 } });
        layout.SetProperty("xaxis", new { title = new { text = xTitle } });
        layout.SetProperty("yaxis", new { title = new { text = yTitle } });
        layout.SetProperty("width", width);
        layout.SetProperty("height", height);
        layout.SetProperty("showlegend", showLegend);
        layout.SetProperty("margin", new { l = 55, r = 15, t = 40, b = 45 });
        var chart = GenericChart.ofTraceObjects(true, traces);
        chart = GenericChart.addLayout(layout, chart);
        return GenericChart.addDisplayOptions(DisplayOptions.init(null, null, null, null, null, null,
            PlotlyJSReference.Full), chart);
    }
}
