using System.Globalization;
using System.Text.Json;
using PowerClip.Data;
using PowerClip.Train.Evaluation;
using PowerClip.Train.Reports;
using PowerClip.Train.Models;
using PowerClip.Train.Training;
using TorchSharp;

namespace PowerClip.Train.Demo;

/// <summary>
/// The demo's self-contained HTML report (loss curves, accuracy per benchmark category with 95% intervals,
/// grounding examples, environment and config) and results.json with the same numbers.
/// </summary>
public static class DemoReport
{
    public static void Write(DemoOutcome outcome, string outDir, Func<string, string> runDir, string benchmarks,
        torch.Device device)
    {
        var report = new HtmlReport("PowerClip demo: CLIP vs PowerCLIP on the synthetic compositional world");
        var s = outcome.Settings;
        report.Paragraph($"Both arms: model '{s.Model}', {s.Steps} steps of batch {s.BatchSize} on {s.WorldSamples} " +
            "synthetic training " +
                         $"images (seed {s.Seed}), evaluated on held-out colour×shape and relation combinations " +
                             "never seen in training. " +
                         $"PowerCLIP uses M = {s.Regions} regions (the world's object masks, padded with " +
                             "random boxes). " +
                         "Numbers are as measured; where PowerCLIP does not win, that is the result.");

        report.Heading("Accuracy on the held-out benchmarks");
        var keys = outcome.Evaluations["clip"].Rows.Select(r => (r.Benchmark, r.Metric)).ToList();
        report.Table(["benchmark", "metric", .. DemoPipeline.Arms.SelectMany(a => new[] { a, $"{a} 95% CI" }),
            "Δ (powerclip − clip)"],
            keys.Select(k =>
            {
                var cells = new List<string> { k.Benchmark, k.Metric };
                var values = new List<double>();
                foreach (var arm in DemoPipeline.Arms)
                {
                    var p = outcome.Evaluations[arm].Find(k.Benchmark, k.Metric);
                    cells.Add(p is null ? "–" : Pct(p.Accuracy));
                    cells.Add(p is null ? "" : $"[{Pct(p.Ci95Low)}, {Pct(p.Ci95High)}] n={p.Total}");
                    values.Add(p?.Accuracy ?? double.NaN);
                }
                cells.Add(((values[1] - values[0]) * 100).ToString("+0.0;-0.0", CultureInfo.InvariantCulture));
                return (IReadOnlyList<string>)cells;
            }));
        report.Charts(keys.GroupBy(k => k.Benchmark).Select(g =>
        {
            var metrics = g.Select(k => k.Metric).ToArray();
            return ReportCharts.Bars(metrics, DemoPipeline.Arms.Select(arm =>
            {
                var ps = metrics.Select(m => outcome.Evaluations[arm].Find(g.Key, m)!).ToArray();
                return (arm, ps.Select(p => p.Accuracy).ToArray(), ps.Select(p => p.Ci95Low).ToArray(),
                    ps.Select(p => p.Ci95High).ToArray());
            }), g.Key, "accuracy", width: Math.Max(420, 110 * metrics.Length + 160));
        }));

        report.Heading("Training");
        var curves = DemoPipeline.Arms.Select(arm => Curve(runDir(arm), "loss", arm)).ToList();
        curves.AddRange(DemoPipeline.Arms.Select(arm => Curve(runDir(arm), "clip", arm + ": CLIP part"))
            .Where(c => c.Y.Length > 0 && c.Name.StartsWith("powerclip", StringComparison.Ordinal)));
        report.Charts([ReportCharts.Lines(curves.Select(c => (c.Name, c.X, Smooth(c.Y))),
            "training loss (moving average of 10 steps)", "step", "loss")]);
        report.Table(["arm", "training time", "final loss"], DemoPipeline.Arms.Select(arm =>
        {
            var c = Curve(runDir(arm), "loss", arm);
            return (IReadOnlyList<string>)[arm, $"{outcome.TrainSeconds[arm]:F0} s", c.Y.Length > 0
                ? c.Y[^1].ToString("F4", CultureInfo.InvariantCulture) : "–"];
        }));

        report.Heading("Grounding accuracy (held-out scenes)");
        GroundingTable(report, outcome);
        report.Heading("Grounding (PowerCLIP's T2R region weights per phrase)");
        GroundingExamples(report, runDir, benchmarks, device);

        report.Heading("Environment and configuration");
        report.Code(RuntimeDescription.Text(device, outcome.Threads) +
                    $"\ntotal demo time    {outcome.TotalSeconds:F0} s");
        foreach (var arm in DemoPipeline.Arms)
            report.Code($"{arm}: {File.ReadAllText(new RunFolder(runDir(arm)).Config)}");
        report.Paragraph($"Reproduce: ./powerclip demo{(outcome.Settings == DemoSettings.Quick ? " --quick" : "")} " +
            $"--out {outDir}");

        report.Save(Path.Combine(outDir, "report.html"));
        File.WriteAllText(Path.Combine(outDir, "results.json"), JsonSerializer.Serialize(new
        {
            settings = outcome.Settings,
            train_seconds = outcome.TrainSeconds,
            total_seconds = outcome.TotalSeconds,
            results = DemoPipeline.Arms.ToDictionary(a => a, a => outcome.Evaluations[a].Rows.Select(r => new
            {
                benchmark = r.Benchmark, metric = r.Metric, accuracy = r.Value.Accuracy, correct = r.Value.Correct,
                    total = r.Value.Total,
                ci95_low = r.Value.Ci95Low, ci95_high = r.Value.Ci95High,
            })),
            grounding = DemoPipeline.Arms.Where(a => outcome.Evaluations[a].Grounding is not null)
                .ToDictionary(a => a, a => JsonSerializer.SerializeToElement(
                    GroundingSummary.Of(outcome.Evaluations[a].Grounding!), ResultJson.Options)),
        }, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Pointing accuracy and selected-subset IoU per phrase type and arm (GroundingMetrics).</summary>
    private static void GroundingTable(HtmlReport report, DemoOutcome outcome)
    {
        var arms = DemoPipeline.Arms.Where(a => outcome.Evaluations[a].Grounding is not null).ToArray();
        if (arms.Length == 0) { report.Paragraph("No grounding benchmark in the export."); return; }
        report.Paragraph("For every noun phrase of a held-out caption the world knows the object it names. " +
                         "S1[m, B] = ⟨φ_m, p_B⟩ over the patches m (φ_m the normalised patch token, p_B the sum " +
                         "of the phrase's word embeddings) — the same definition for both arms. Pointing: the patch " +
                         "with the largest S1 lies in the object's mask. IoU: T2R's selected subset (S1 > 0, weight " +
                         "σ(S1/τ) > ½) against the mask. Types: object (its shape is unique in the scene), " +
                         "attribute_object (another object shares its shape), relation (the phrase stating a " +
                         "relation; target: the union of both objects' masks).");
        var types = outcome.Evaluations[arms[0]].Grounding!.ByType.Keys.Append("all").ToArray();
        GroundingScores Of(string arm, string type)
        {
            var g = outcome.Evaluations[arm].Grounding!;
            return type == "all" ? g.All : g.ByType[type];
        }
        string[] Cells(string arm, string type)
        {
            var p = Of(arm, type).Pointing;
            return [Pct(p.Accuracy), $"[{Pct(p.Ci95Low)}, {Pct(p.Ci95High)}]", Pct(Of(arm, type).MeanIoU)];
        }
        var header = arms.SelectMany(a => new[] { $"{a} pointing", $"{a} 95% CI", $"{a} mean IoU" });
        string Count(string type) => Of(arms[0], type).Pointing.Total.ToString(CultureInfo.InvariantCulture);
        report.Table(["phrase type", "n", .. header],
                     types.Select(t => (IReadOnlyList<string>)[t, Count(t), .. arms.SelectMany(a => Cells(a, t))]));
    }

    private static void GroundingExamples(HtmlReport report, Func<string, string> runDir, string benchmarks,
        torch.Device device)
    {
        var examples = GroundingCases(benchmarks).Take(3).ToList();
        if (examples.Count == 0)
        {
            report.Paragraph("No grounding examples: the benchmark export holds no retrieval captions.");
            return;
        }
        foreach (var arm in DemoPipeline.Arms)
        {
            using var model = TrainedModel.Load(runDir(arm), device);
            var encoder = new ModelEncoder(model);
            foreach (var (image, caption) in examples)
            {
                var (png, result) = Grounding.Render(model, encoder.LoadImage(image), caption);
                report.Image(png, $"{arm}: \"{caption}\" — panels: image, then " +
                                  string.Join("; ", result.Phrases.Select(p => $"{p.Panel}: {p.Text}")));
            }
        }
    }

    /// <summary>Images and first captions of the retrieval export (held-out scenes).</summary>
    private static IEnumerable<(string Image, string Caption)> GroundingCases(string benchmarks)
    {
        var dir = Path.Combine(benchmarks, "retrieval");
        var json = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.json").FirstOrDefault() : null;
        if (json is null) yield break;
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        if (!doc.RootElement.TryGetProperty("images", out var images)) yield break;
        foreach (var img in images.EnumerateArray())
        {
            var file = img.GetProperty("filename").GetString();
            var sentence = img.GetProperty("sentences").EnumerateArray().FirstOrDefault();
            if (file is null || sentence.ValueKind != JsonValueKind.Object) continue;
            var path = Path.Combine(dir, img.TryGetProperty("filepath", out var fp) && fp.GetString() is { } sub
                ? sub : "", file);
            if (File.Exists(path)) yield return (path, sentence.GetProperty("raw").GetString() ?? "");
        }
    }

    private static (string Name, double[] X, double[] Y) Curve(string runDir, string key, string name)
    {
        var points = MetricsLog.Read(new RunFolder(runDir).Metrics)
            .Where(e => e.TryGetProperty(key, out _))
            .Select(e => (X: (double)e.GetProperty("step").GetInt32(), Y: e.GetProperty(key).GetDouble()))
            .ToArray();
        return (name, points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray());
    }

    private static double[] Smooth(double[] y, int window = 10) =>
        y.Select((_, i) => y.Skip(Math.Max(0, i - window + 1)).Take(Math.Min(window, i + 1)).Average()).ToArray();

    private static string Pct(double x) => double.IsNaN(x)
        ? "–" : (100 * x).ToString("F1", CultureInfo.InvariantCulture) + "%";
}
