using System.CommandLine;
using System.Text.Json;
using PowerClip.Spec;

using PowerClip.Train;

namespace PowerClip.Cli.Commands;

/// <summary>`powerclip nla eval --input case.json`: every exact and approximate quantity of one input, as one JSON
/// object.</summary>
public static class NlaCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--input") { Description = "JSON file with s0, nodes, tau, zeta and " +
            "optionally zeta_reading (lower|logcosh)", Required = true };
        var samples = new Option<int>("--mc-samples") { Description = "Subsets drawn by the Monte Carlo R2T estimator",
            DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Seed of the Monte Carlo R2T estimator",
            DefaultValueFactory = _ => 0 };
        var eval = new Command("eval", "Evaluate the exact powerset losses, the NLAs, their bounds and the extra " +
            "estimators on one input") { input, samples, seed };
        eval.SetAction(result =>
        {
            var c = NlaCaseInput.Load(result.GetValue(input)!);
            var n = result.GetValue(samples);
            if (n < 1) throw new UsageException($"--mc-samples must be >= 1, got {n}");
            Console.WriteLine(Evaluate(c, n, result.GetValue(seed)));
            return 0;
        });
        return new Command("nla", "Exact powerset losses and non-linear aggregators (PowerClip.Math)") { eval };
    }

    /// <summary>The JSON object `nla eval` prints.</summary>
    public static string Evaluate(NlaCaseInput c, int mcSamples, int seed)
    {
        var (s0, tree, tau, zeta) = (c.S0, c.Tree, c.Tau, c.Zeta);
        var mc = Estimators.r2tMonteCarlo(mcSamples, seed, 0.95, s0, tree);
        var values = new (string, double)[]
        {
            ("r2t_exact", Powerset.r2tExact(s0, tree)),
            ("t2r_exact", Powerset.t2rExact(s0, tree)),
            ("r2t_lse", Powerset.r2tLse(tau, s0, tree)),
            ("nla_t1", Nla.t1(tau, s0, tree)),
            ("nla_t2", Nla.t2(tau, zeta, c.Reading, s0, tree)),
            ("r2t_upper", Nla.upper(tau, s0, tree)),
            ("r2t_lower", Nla.lower(tau, s0, tree)),
            ("t2r_relu", Estimators.t2rRelu(s0, tree)),
            ("r2t_delta", Estimators.r2tDelta(tau, s0, tree)),
            ("r2t_monte_carlo", mc.Estimate),
            ("r2t_monte_carlo_half_width", mc.HalfWidth),
        };
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteNumber("regions", s0.GetLength(0));
            w.WriteNumber("leaves", tree.LeafCount);
            w.WriteNumber("nodes", tree.Nodes.Length);
            w.WriteNumber("tau", tau);
            w.WriteNumber("zeta", zeta);
            w.WriteString("zeta_reading", NlaReadings.NameOf(c.Reading));
            // The linear reading mixes the bounds' values and has no log cosh weight.
            var weight = Nla.logCoshWeight(c.Reading, zeta);
            if (weight is null) w.WriteNull("log_cosh_weight"); else w.WriteNumber("log_cosh_weight", weight.Value);
            foreach (var (key, value) in values) w.WriteNumber(key, value);
            // Theorem 2's ζ* in the input's reading: where NLA-T2 equals r2t_lse (always exists; null only on failure).
            var zetaStar = Nla.zetaFor(tau, c.Reading, Powerset.r2tLse(tau, s0, tree), s0, tree);
            if (zetaStar is null) w.WriteNull("zeta_star"); else w.WriteNumber("zeta_star", zetaStar.Value);
            w.WriteNumber("r2t_monte_carlo_confidence", mc.Confidence);
            w.WriteNumber("r2t_monte_carlo_samples", mc.Samples);
            w.WriteNumber("r2t_monte_carlo_seed", mc.Seed);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
