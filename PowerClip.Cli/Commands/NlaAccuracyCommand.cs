using System.CommandLine;
using System.Globalization;
using PowerClip.Model;
using PowerClip.Spec;
using PowerClip.Train.Reports;

using PowerClip.Train;

namespace PowerClip.Cli.Commands;

/// <summary>
/// `powerclip nla-accuracy`: an approximation study analogous to the paper's Figure 5 (which we have not seen), on
/// assumed inputs. Per pair (--study pairs): over seeded random inputs it compares exact R2T, T2R and their sum with
/// NLA-T1, NLA-T2 per (τ, ζ) and the extra estimators, and writes nla-accuracy.csv (Pearson r and MAE per cell and
/// estimator) and nla-accuracy.html. Per batch (--study ranking): what the triplet loss uses — rankings within B × B
/// batches, the hardest negative and the loss itself — for every estimator and reading, with bootstrap intervals,
/// written as nla-ranking.csv and nla-ranking.html (NlaRankingReport).
/// </summary>
public static class NlaAccuracyCommand
{
    /// <summary>Scatter panels show at most this many cases, to keep the HTML a few MB.</summary>

    public static Command Create()
    {
        var cases = new Option<int>("--cases") { Description = "Random image-caption inputs",
            DefaultValueFactory = _ => 2000 };
        var seed = new Option<int>("--seed") { Description = "Seed of the inputs (and, offset per case, of Monte " +
            "Carlo)", DefaultValueFactory = _ => 0 };
        var regions = new Option<int>("--regions") { Description = "Regions M per image",
            DefaultValueFactory = _ => 10 };
        var taus = new Option<string>("--taus") { Description = "Comma-separated temperatures",
            DefaultValueFactory = _ => "0.1,0.01,0.001" };
        var zetas = new Option<string>("--zetas") { Description = "Comma-separated zeta values in [0,1]",
            DefaultValueFactory = _ => "0,0.25,0.5,0.75,1" };
        var weights = new Option<string>("--zeta-reading")
        {
            Description = "Which term zeta weights: lower (log cosh weight 1-zeta) or logcosh (weight zeta)",
            DefaultValueFactory = _ => LossSettingNames.ZetaReading.NameOf(NlaReadings.FromSpec(Nla.defaultReading)),
        };
        var similarities = new Option<string>("--similarities") {
            Description = "Input model: clip (CLIP-like cosines) or uniform (S0 uniform in [-1,1])",
            DefaultValueFactory = _ => "clip" };
        var mcSamples = new Option<int>("--mc-samples") { Description = "Subsets drawn by the Monte Carlo R2T " +
            "estimator", DefaultValueFactory = _ => 32 };
        var output = new Option<string>("--out") { Description = "Output directory",
            DefaultValueFactory = _ => "runs/nla-accuracy" };
        var ranking = new NlaRankingOptions();
        var command = new Command("nla-accuracy",
            "Exact vs NLA and extra estimators: per pair (r, MAE) and within batches (rankings, hardest negative, " +
            "triplet), CSV + HTML")
        {
            cases, seed, regions, taus, zetas, weights, similarities, mcSamples, output,
        };
        foreach (var o in ranking.All) command.Add(o);
        command.SetAction(result =>
        {
            // Checked here rather than with AcceptOnlyFromAmong, whose parse error spans several lines.
            Spec.ZetaReading reading;
            try { reading = NlaReadings.Parse(result.GetValue(weights)!, weights.Name); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            var which = ranking.Which(result);
            var model = result.GetValue(similarities) switch
            {
                "clip" => SimilarityModel.ClipLike,
                "uniform" => SimilarityModel.Uniform,
                var m => throw new UsageException($"--similarities must be clip or uniform, got '{m}'"),
            };
            var config = new StudyConfig(
                result.GetValue(cases), result.GetValue(regions), ParseList(result.GetValue(taus)!, "--taus"),
                ParseList(result.GetValue(zetas)!, "--zetas"),
                reading, model,
                result.GetValue(mcSamples), result.GetValue(seed));
            var reproduce = "./powerclip nla-accuracy " + string.Join(" ",
                $"--cases {config.Cases}", $"--seed {config.Seed}", $"--regions {config.Regions}",
                $"--taus {result.GetValue(taus)}", $"--zetas {result.GetValue(zetas)}",
                $"--zeta-reading {result.GetValue(weights)}", $"--similarities {result.GetValue(similarities)}",
                $"--mc-samples {config.McSamples}", string.Join(" ", ranking.Reproduce(result)),
                $"--out {result.GetValue(output)}");
            var outDir = result.GetValue(output)!;
            try
            {
                // The spec checks the study's settings (τ, ζ, sizes) and names the bad one: a usage error.
                if (which != "ranking") NlaAccuracyReport.Write(config, outDir, reproduce, Console.Out);
                if (which == "ranking") Console.WriteLine($"reproduce: {reproduce}");
                if (which != "pairs")
                {
                    var studies = ranking.Studies(result, config.Taus, config.Zetas, config.Regions, config.Seed);
                    NlaRankingReport.Write(studies, outDir, reproduce, Console.Out);
                }
            }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            return 0;
        });
        return command;
    }

    private static double[] ParseList(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new UsageException($"{option} needs at least one number");
        return parts.Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v : throw new UsageException($"{option}: '{p}' is not a number")).ToArray();
    }
}
