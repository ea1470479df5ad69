namespace PowerClip.Train.Study;

/// <summary>A point estimate with its 95% interval.</summary>
public sealed record Estimate(double Point, double Low, double High)
{
    public bool Contains(double x) => Low <= x && x <= High;
}

/// <summary>
/// The study's statistics, pure functions of per-item outcomes.
/// <para>A run's outcome on a table cell is a list of sets (e.g. the seen-class and the held-out-class zero-shot
/// images), each an array of per-item values (1/0 for correct/incorrect, or a real value such as an IoU). The
/// cell's value is the mean over sets of the mean over the set's items — a macro average, like the paper's
/// averages over datasets. A method's value is the mean of that over its seeds (runs).</para>
/// <para>The interval is a paired percentile bootstrap over benchmark items: each replicate draws, within every
/// set independently (stratified), as many items as the set holds, uniformly with replacement, and evaluates
/// every run of every method on the same draw, so a difference between two methods is resampled item for item
/// (paired). The items are fixed across seeds (one export), so the interval measures the uncertainty from the
/// finite item sample, not the variation between training seeds; that is reported as per-seed signs.</para>
/// </summary>
public static class PairedBootstrap
{
    /// <summary>The cell value of one run on all its items: mean over sets of the set means.</summary>
    public static double Aggregate(IReadOnlyList<double[]> sets)
    {
        CheckSets(sets);
        return sets.Average(s => s.Average());
    }

    /// <summary>The cell value of one run on a draw: <paramref name="draw"/>[k] holds indices into set k.</summary>
    public static double Aggregate(IReadOnlyList<double[]> sets, IReadOnlyList<int[]> draw)
    {
        var total = 0.0;
        for (var k = 0; k < sets.Count; k++)
        {
            var (set, idx) = (sets[k], draw[k]);
            var sum = 0.0;
            for (var i = 0; i < idx.Length; i++) sum += set[idx[i]];
            total += sum / idx.Length;
        }
        return total / sets.Count;
    }

    /// <summary>
    /// Bootstrap replicate values of several methods on shared draws: result[method][r] is the mean over the
    /// method's runs (seeds) of the run's value on replicate r's draw. Every run of every method must have the
    /// same set sizes (the same items). Seeded: the same inputs and seed give the same replicates.
    /// </summary>
    public static double[][] Replicates(IReadOnlyList<IReadOnlyList<IReadOnlyList<double[]>>> methods,
                                        int replicates, int seed)
    {
        if (replicates < 1) throw new ArgumentException($"replicates must be >= 1, got {replicates}");
        if (methods.Count == 0 || methods.Any(m => m.Count == 0))
            throw new ArgumentException("every method needs at least one run");
        static string Sizes(IReadOnlyList<double[]> run) => string.Join("/", run.Select(s => s.Length));
        var sizes = methods[0][0].Select(s => s.Length).ToArray();
        foreach (var run in methods.SelectMany(m => m))
        {
            CheckSets(run);
            if (!run.Select(s => s.Length).SequenceEqual(sizes))
                throw new ArgumentException($"runs differ in their items: set sizes {Sizes(run)} vs " +
                                            $"{Sizes(methods[0][0])}; paired resampling needs the same items");
        }
        var rng = new Random(seed);
        var result = methods.Select(_ => new double[replicates]).ToArray();
        var draw = sizes.Select(n => new int[n]).ToArray();
        for (var r = 0; r < replicates; r++)
        {
            foreach (var d in draw)
                for (var i = 0; i < d.Length; i++) d[i] = rng.Next(d.Length);
            for (var m = 0; m < methods.Count; m++)
                result[m][r] = methods[m].Average(run => Aggregate(run, draw));
        }
        return result;
    }

    /// <summary>The percentile interval of bootstrap replicates (2.5th and 97.5th percentiles, interpolated).</summary>
    public static (double Low, double High) Percentile95(IReadOnlyList<double> replicates)
    {
        if (replicates.Count == 0) throw new ArgumentException("no replicates");
        var sorted = replicates.Order().ToArray();
        return (Quantile(sorted, 0.025), Quantile(sorted, 0.975));
    }

    /// <summary>A method's value (mean over its runs on all items) with its bootstrap interval.</summary>
    public static Estimate Value(IReadOnlyList<IReadOnlyList<double[]>> runs, IReadOnlyList<double> replicates)
    {
        var (lo, hi) = Percentile95(replicates);
        return new Estimate(runs.Average(Aggregate), lo, hi);
    }

    /// <summary>
    /// Method A − method B, paired by item (the same draws) and by run (run s of A against run s of B, i.e.
    /// the same seed), with the interval of the replicate differences.
    /// </summary>
    public static Estimate Difference(IReadOnlyList<IReadOnlyList<double[]>> a,
                                      IReadOnlyList<IReadOnlyList<double[]>> b,
                                      IReadOnlyList<double> replicatesA, IReadOnlyList<double> replicatesB)
    {
        if (replicatesA.Count != replicatesB.Count)
            throw new ArgumentException("the two methods were resampled a different number of times");
        var (lo, hi) = Percentile95(replicatesA.Zip(replicatesB, (x, y) => x - y).ToArray());
        return new Estimate(a.Average(Aggregate) - b.Average(Aggregate), lo, hi);
    }

    /// <summary>
    /// Per seed, the sign of (run s of A) − (run s of B) on all items: '+', '−' or '0' for an exact tie — whether
    /// a difference keeps its direction across training seeds.
    /// </summary>
    public static string Signs(IReadOnlyList<IReadOnlyList<double[]>> a, IReadOnlyList<IReadOnlyList<double[]>> b)
    {
        if (a.Count != b.Count)
            throw new ArgumentException($"{a.Count} runs against {b.Count}: signs pair runs by seed");
        var differences = a.Zip(b, (x, y) => Aggregate(x) - Aggregate(y));
        return string.Join(" ", differences.Select(d => d > 0 ? "+" : d < 0 ? "−" : "0"));
    }

    private static double Quantile(double[] sorted, double q)
    {
        var pos = q * (sorted.Length - 1);
        var (lo, hi) = ((int)Math.Floor(pos), (int)Math.Ceiling(pos));
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    private static void CheckSets(IReadOnlyList<double[]> sets)
    {
        if (sets.Count == 0) throw new ArgumentException("a cell needs at least one set of items");
        if (sets.Any(s => s.Length == 0)) throw new ArgumentException("a set of items is empty");
    }
}
