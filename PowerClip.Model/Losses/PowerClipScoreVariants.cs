using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// The score options beyond the paper's default forms, each tested against PowerClip.Math: the linear-interpolation
/// ζ reading, the exact ReLU T2R, the Monte Carlo R2T and R2T over the non-empty subsets (docs/method.md §4).
/// </summary>
public static partial class PowerClipScores
{
    /// <summary>NLA-T2 in the configuration's ζ reading: N_w for the log cosh readings, ζ·U_τ + (1 − ζ)·L_τ for
    /// the linear one.</summary>
    public static Tensor NlaT2(Tensor s1, Tensor nodeMask, PowerClipLossConfig cfg)
    {
        Tensor? sum = null;
        foreach (var (w, share) in Mix(cfg))
        {
            var term = NlaT2(s1, nodeMask, cfg.Tau, w);
            sum = sum is null ? (share == 1.0 ? term : share * term) : sum + share * term;
        }
        return sum!;
    }

    /// <summary>NLA-T2 as Σ share·N_w: [(w, 1)] in the log cosh readings, [(1, ζ), (0, 1 − ζ)] in the linear one.
    /// </summary>
    private static (double Weight, double Share)[] Mix(PowerClipLossConfig cfg) =>
        cfg.LogCoshWeight is { } w ? [(w, 1.0)] : [(1.0, cfg.Zeta), (0.0, 1.0 - cfg.Zeta)];

    /// <summary>
    /// An all-subsets estimate x [Bi, Bj] of the LSE-relaxed R2T carried to cfg.R2TSubsets for M regions: x itself,
    /// or for the non-empty subsets (2^M·x − τ·log|𝒯_j|)/(2^M − 1) = x + (x − τ·log|𝒯_j|)/(2^M − 1), |𝒯_j| caption
    /// j's valid nodes (the empty set's LSE is over |𝒯_j| zeros; proofs/r2t-subsets.md). The second form stays
    /// finite for any M (evaluation uses M = patches).
    /// </summary>
    public static Tensor OverRange(Tensor x, Tensor nodeMask, PowerClipLossConfig cfg, long regions)
    {
        if (cfg.R2TSubsets == SubsetRange.All) return x;
        var atEmpty = cfg.Tau * nodeMask.to(x.dtype).sum(-1).log().unsqueeze(0);   // [1, Bj]
        return x + (x - atEmpty) / (Math.Pow(2, regions) - 1);
    }

    /// <summary>Exact Q← by the ReLU identity: mean_B Σ_m relu(S1[m,B]), O(M·|𝒯|) (relu'(0) = 0, as the spec's
    /// t2rRelu).</summary>
    public static Tensor ReluT2R(Tensor s1, Tensor nodeMask) => NodeMean(s1.relu().sum(-2), nodeMask);

    /// <summary>
    /// Monte Carlo R2T: the mean over the K subsets of MonteCarloSubsets of max_B Σ_{m∈A} S1[m,B], the same subsets
    /// for every pair (common random numbers: pairs are compared on the same draws). Unbiased for Q→ over the range.
    /// </summary>
    public static Tensor MonteCarloR2T(Tensor s1, Tensor nodeMask, PowerClipLossConfig cfg)
    {
        var m = (int)s1.shape[^2];
        var draws = MonteCarloSubsets(m, cfg.MonteCarloSamples, cfg.MonteCarloSeed, cfg.R2TSubsets);
        var flat = draws.SelectMany(a => a.Select(x => x ? 1.0 : 0.0)).ToArray();
        var bits = torch.tensor(flat, dtype: s1.dtype, device: s1.device).reshape(draws.Length, m);
        var q = torch.einsum("km,ijmt->ijkt", bits, s1);
        return Masked(q, nodeMask).amax(-1).mean([-1]);
    }

    /// <summary>
    /// K membership vectors over M regions, each region in with probability ½, from System.Random(seed) sample-major,
    /// region-minor; for the non-empty range an empty draw is drawn again. The same draws as PowerClip.Math's
    /// Estimators.monteCarloSubsets (tested).
    /// </summary>
    public static bool[][] MonteCarloSubsets(int regions, int samples, int seed, SubsetRange range)
    {
        if (samples < 1) throw new ArgumentException($"Monte Carlo needs at least 1 sample, got {samples}");
        if (regions < 1) throw new ArgumentException($"Monte Carlo needs at least 1 region, got {regions}");
        var rng = new Random(seed);
        var result = new bool[samples][];
        for (var k = 0; k < samples; k++)
        {
            bool[] a;
            do a = Enumerable.Range(0, regions).Select(_ => rng.Next(2) == 1).ToArray();
            while (range == SubsetRange.NonEmpty && !a.Contains(true));
            result[k] = a;
        }
        return result;
    }
}
