using System.Text;
using System.Text.Json;
using PowerClip.Train.Evaluation;
using PowerClip.Train.Training;
using static PowerClip.Train.Study.StudyFormat;

namespace PowerClip.Train.Study;

/// <summary>results.json (every number, per seed, snake_case) and results.md (the tables in Markdown).</summary>
public static class StudyResults
{
    public static void Write(StudyOutcome o, string outDir)
    {
        var json = new
        {
            budget = o.Budget,
            smoke_test = o.Budget.SmokeTest,
            statistics = StudyReport.Statistics,
            methods = o.Methods.Select(m => new
            {
                name = m.Name, loss = m.Loss, region_source = m.RegionSource, ablation = m.Ablation,
                implemented = m.Implemented,
            }),
            arms = o.Arms.Select(a => new
            {
                method = a.Method, seed = a.Seed, run = Path.GetRelativePath(outDir, a.RunDirectory),
                outcome = a.Outcome.ToString().ToLowerInvariant(), seconds = a.Seconds,
                train_cpu_seconds = a.TrainCpuSeconds, eval_cpu_seconds = a.EvalCpuSeconds,
                median_step_seconds = a.MedianStepSeconds,
            }),
            cells = o.Table,
            total_seconds = o.TotalSeconds,
            threads = o.Threads,
            device = o.Device,
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, "results.json"),
                                JsonSerializer.Serialize(json, ResultJson.Options));
        AtomicFile.WriteAllText(Path.Combine(outDir, "results.md"), Markdown(o));
    }

    public static string Markdown(StudyOutcome o)
    {
        var sb = new StringBuilder();
        sb.Append($"<!-- written by `powerclip study --budget {o.Budget.Name}`; percentages; ")
          .Append(StudyReport.Statistics).Append(" -->\n\n");
        if (o.Budget.SmokeTest) sb.Append("**Smoke test (quick budget): these numbers measure nothing.**\n\n");
        var main = o.Methods.Where(m => !m.Ablation).ToArray();
        var ablations = o.Methods.Where(m => m.Ablation).ToArray();
        foreach (var table in new[] { StudyCells.Main, StudyCells.Compositional, StudyCells.Grounding })
        {
            var (h, r) = Grid(o, table, main, ValueOf);
            sb.Append($"### {table}: values\n\n").Append(StudyFormat.Markdown(h, r)).Append('\n');
            var others = main.Where(m => m.Name != StudyMethods.Reference);
            var (dh, dr) = Grid(o, table, others, (c, m) => DifferenceOf(c, m, StudyMethods.Reference));
            sb.Append($"### {table}: difference from {StudyMethods.Reference}\n\n")
              .Append(StudyFormat.Markdown(dh, dr)).Append('\n');
            if (ablations.Length == 0) continue;
            foreach (var against in new[] { StudyMethods.FullPowerClip, StudyMethods.Reference })
            {
                var (ah, ar) = Grid(o, table, ablations, (c, m) => DifferenceOf(c, m, against));
                sb.Append($"### {table}: ablations, difference from {against}\n\n")
                  .Append(StudyFormat.Markdown(ah, ar)).Append('\n');
            }
        }
        return sb.ToString();
    }
}
