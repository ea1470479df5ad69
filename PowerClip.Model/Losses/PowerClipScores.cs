using TorchSharp;
using static TorchSharp.torch;

namespace PowerClip.Model;

/// <summary>
/// The pairwise PowerCLIP score S̄[i, j] = T2R + R2T (docs/method.md §2–4), as pure tensor functions.
/// S1[i,j,m,B] = ⟨φ_m^(i), p_B^(j)⟩ with p_B = Σ_{l∈B} ψ_l, which equals Σ_{l∈B} S0[i,j,m,l]; nodes
/// padded in a batch are masked (nodeMask [Bj, T]). All M regions of an image are real.
/// </summary>
public static partial class PowerClipScores
{
    private static readonly double Log2 = Math.Log(2.0);

    /// <summary>
    /// Lower bound on the exponent of the e^{−|y|} correction terms. exp(−60) ≈ 9e−27 is far below float32
    /// resolution of any sum it joins (the value changes by less than τ·e^{−60}), while exponents in (−104, −87) give
    /// float32 denormals, which x86 computes tens of times slower: with τ = 1e-3 most S1/τ land beyond −87,
    /// and the clamp made NLA-T1 2–4× faster (docs/performance.md, "price of the method").
    /// </summary>
    private const double MinExponent = -60;

    /// <summary>S0[i,j,m,l] = ⟨φ_m^(i), ψ_l^(j)⟩: φ [Bi, M, E], ψ [Bj, L, E] → [Bi, Bj, M, L].</summary>
    public static Tensor S0(Tensor phi, Tensor psi) => torch.einsum("imd,jld->ijml", phi, psi);

    /// <summary>S1 = S0 · membership: [Bi, Bj, M, L] × [Bj, L, T] → [Bi, Bj, M, T].</summary>
    public static Tensor S1FromS0(Tensor s0, Tensor membership) =>
        torch.einsum("ijml,jlt->ijmt", s0, membership.to(s0.dtype, s0.device));

    /// <summary>Node embeddings p_B = Σ_{l∈B} ψ_l (not renormalized): [Bj, L, T] × [Bj, L, E] → [Bj, T, E].</summary>
    public static Tensor NodeEmbeddings(Tensor psi, Tensor membership) =>
        torch.einsum("jlt,jld->jtd", membership.to(psi.dtype, psi.device), psi);

    /// <summary>S1 from region and node embeddings without forming S0: [Bi, M, E] × [Bj, T, E] → [Bi, Bj, M,
    /// T].</summary>
    public static Tensor S1(Tensor phi, Tensor nodes) => torch.einsum("imd,jtd->ijmt", phi, nodes);

    /// <summary>S̄ (or one of its terms) from S1, by the configuration's aggregation, ablation switches and score
    /// scale: [Bi, Bj].</summary>
    public static Tensor Combine(Tensor s1, Tensor nodeMask, PowerClipLossConfig cfg)
    {
        var divisor = cfg.ScoreDivisor(s1.shape[^2]);
        var sbar = Unscaled(s1, nodeMask, cfg);
        return divisor == 1.0 ? sbar : sbar / divisor;
    }

    private static Tensor Unscaled(Tensor s1, Tensor nodeMask, PowerClipLossConfig cfg)
    {
        if (cfg is { Aggregation: PowersetAggregation.Nla, UseSubsets: true, UseR2T: true, UseT2R: true,
                     T2R: T2RMethod.Nla, R2T: R2TMethod.NlaT2 })
            return NlaBoth(s1, nodeMask, cfg);
        Tensor? r2t = null, t2r = null;
        if (cfg.UseR2T) r2t = R2T(s1, nodeMask, cfg);
        if (cfg.UseT2R) t2r = T2R(s1, nodeMask, cfg);
        return r2t is null ? t2r! : t2r is null ? r2t : r2t + t2r;
    }

    /// <summary>Region→text term: NLA-T2 or Monte Carlo (over cfg.R2TSubsets), exact Q→, or (w/o subsets) the
    /// single-region form.</summary>
    public static Tensor R2T(Tensor s1, Tensor nodeMask, PowerClipLossConfig cfg) =>
        (cfg.Aggregation, cfg.UseSubsets) switch
        {
            (PowersetAggregation.Nla, true) when cfg.R2T == R2TMethod.MonteCarlo => MonteCarloR2T(s1, nodeMask, cfg),
            (PowersetAggregation.Nla, true) => OverRange(NlaT2(s1, nodeMask, cfg), nodeMask, cfg, s1.shape[^2]),
            (PowersetAggregation.Exact, true) => ExactR2T(s1, nodeMask, cfg.MaxExactRegions, cfg.R2TSubsets),
            (PowersetAggregation.Nla, false) => (cfg.Tau * Masked(s1 / cfg.Tau, nodeMask).logsumexp(-1)).mean([-1]),
            _ => Masked(s1, nodeMask).amax(-1).mean([-1]),
        };

    /// <summary>Text→region term: NLA-T1 or the exact ReLU form (cfg.T2R), exact Q← by enumeration, or (w/o
    /// subsets) the single-region form.</summary>
    public static Tensor T2R(Tensor s1, Tensor nodeMask, PowerClipLossConfig cfg) =>
        (cfg.Aggregation, cfg.UseSubsets) switch
        {
            (PowersetAggregation.Nla, true) when cfg.T2R == T2RMethod.ExactRelu => ReluT2R(s1, nodeMask),
            (PowersetAggregation.Nla, true) => NlaT1(s1, nodeMask, cfg.Tau),
            (PowersetAggregation.Exact, true) => ExactT2R(s1, nodeMask, cfg.MaxExactRegions),
            (PowersetAggregation.Nla, false) => NodeMean(cfg.Tau * (s1 / cfg.Tau).logsumexp(-2), nodeMask),
            _ => NodeMean(s1.amax(-2), nodeMask),
        };

    /// <summary>
    /// NLA-T1[i,j] = mean_B Σ_m sp_τ(S1[i,j,m,B]), sp_τ(x) = τ·log(1 + e^{x/τ}) computed as
    /// relu(x) + τ·log1p(e^{−|x|/τ}) (exponent clamped at MinExponent), with relu(x) written (x + |x|)/2: both
    /// terms have kinks at 0 that cancel in the sum, and autograd (|x|'(0) = 0) then gives the true sp_τ'(0) = ½,
    /// where x.relu() gave 0 (proofs/autodiff.md).
    /// </summary>
    public static Tensor NlaT1(Tensor s1, Tensor nodeMask, double tau)
    {
        var a = s1.abs();
        var sp = (s1 + a) * 0.5 + tau * (a * (-1 / tau)).clamp_min(MinExponent).exp().log1p();
        return NodeMean(sp.sum(-2), nodeMask);
    }

    /// <summary>NLA-T2[i,j] = τ·log Σ_B exp(Σ_m Λ(S1/τ)), Λ(y) = y/2 + w·log cosh(y/2), w the log-cosh
    /// weight.</summary>
    public static Tensor NlaT2(Tensor s1, Tensor nodeMask, double tau, double logCoshWeight)
    {
        var half = s1 / (2 * tau);
        var lam = half + logCoshWeight * LogCosh(half);
        return tau * Masked(lam.sum(-2), nodeMask).logsumexp(-1);
    }

    /// <summary>
    /// NLA-T2 + NLA-T1 with the work on S1-sized tensors shared and cut to five elementwise passes. Both
    /// need c = log1p(e^{−|x|/τ}) for x = S1: sp_τ(x) = relu(x) + τ·c with relu(x) = (x + |x|)/2, and
    /// log cosh(x/2τ) = |x|/2τ + c − log 2. So only Σ_m x, Σ_m |x| and Σ_m c ([Bi, Bj, T], M times smaller) are
    /// reduced from S1, and the rest works on those sums:
    ///   Σ_m sp_τ = (Σx + Σ|x|)/2 + τ·Σc,   Σ_m Λ(x/τ) = (Σx + w·Σ|x|)/2τ + w·(Σc − M·log 2).
    /// Same values as NlaT2 + NlaT1 up to rounding (the parity tests check both against the specification);
    /// with the clamp, the loss's forward became several times faster (docs/performance.md).
    /// </summary>
    public static Tensor NlaBoth(Tensor s1, Tensor nodeMask, double tau, double logCoshWeight)
    {
        var (t1, t2) = NlaBoth(s1, nodeMask, tau, [(logCoshWeight, 1.0)]);
        return t2 + t1;
    }

    /// <summary>NlaBoth in the configuration's ζ reading, with NLA-T2 over its subset range.</summary>
    public static Tensor NlaBoth(Tensor s1, Tensor nodeMask, PowerClipLossConfig cfg)
    {
        var (t1, t2) = NlaBoth(s1, nodeMask, cfg.Tau, Mix(cfg));
        return OverRange(t2, nodeMask, cfg, s1.shape[^2]) + t1;
    }

    /// <summary>NLA-T1 and NLA-T2, the latter as Σ share·N_w over the mix's (w, share) (one term but in the linear
    /// reading).</summary>
    private static (Tensor T1, Tensor T2) NlaBoth(
        Tensor s1, Tensor nodeMask, double tau, (double Weight, double Share)[] mix)
    {
        var m = s1.shape[^2];
        var a = s1.abs();
        var sumX = s1.sum(-2);
        var sumA = a.sum(-2);
        var sumC = (a * (-1 / tau)).clamp_min(MinExponent).exp().log1p().sum(-2);
        var t1 = NodeMean((sumX + sumA) * 0.5 + tau * sumC, nodeMask);
        Tensor? t2 = null;
        foreach (var (w, share) in mix)
        {
            var lam = (sumX + w * sumA) * (0.5 / tau) + w * (sumC - m * Log2);
            var term = tau * Masked(lam, nodeMask).logsumexp(-1);
            t2 = t2 is null ? (share == 1.0 ? term : share * term) : t2 + share * term;
        }
        return (t1, t2!);
    }

    /// <summary>Q→[i,j] = 2^-M Σ_A max_B Σ_{m∈A} S1[m,B] (the empty subset scores 0), over all or the non-empty
    /// subsets.</summary>
    public static Tensor ExactR2T(Tensor s1, Tensor nodeMask, int maxRegions, SubsetRange range = SubsetRange.All)
    {
        var q = SubsetScores(s1, maxRegions);
        if (range == SubsetRange.NonEmpty) q = q.narrow(-2, 1, q.shape[^2] - 1);   // subset 0 is ∅
        return Masked(q, nodeMask).amax(-1).mean([-1]);
    }

    /// <summary>Q←[i,j] = mean_B max_A Σ_{m∈A} S1[m,B].</summary>
    public static Tensor ExactT2R(Tensor s1, Tensor nodeMask, int maxRegions) =>
        NodeMean(SubsetScores(s1, maxRegions).amax(-2), nodeMask);

    /// <summary>Q[i,j,A,B] for all 2^M subsets A: [Bi, Bj, 2^M, T].</summary>
    private static Tensor SubsetScores(Tensor s1, int maxRegions)
    {
        var m = (int)s1.shape[2];
        if (m > maxRegions) throw new ArgumentException($"exact powerset aggregation enumerates 2^M subsets; M = {m} " +
            $"exceeds the limit {maxRegions}");
        var bits = torch.arange(1L << m, device: s1.device).unsqueeze(1).bitwise_right_shift(
            torch.arange(m, device: s1.device)).bitwise_and(1);
        return torch.einsum("am,ijmt->ijat", bits.to(s1.dtype), s1);
    }

    /// <summary>log cosh(z) = |z| + log1p(e^{−2|z|}) − log 2, stable for |z| ~ 1e4 (exponent clamped at
    /// MinExponent).</summary>
    public static Tensor LogCosh(Tensor z)
    {
        var a = z.abs();
        return a + (-2 * a).clamp_min(MinExponent).exp().log1p() - Log2;
    }

    /// <summary>Padded nodes (mask [Bj, T], broadcast over [Bi, Bj, …, T]) become −∞ so that max and LSE ignore
    /// them.</summary>
    private static Tensor Masked(Tensor x, Tensor nodeMask)
    {
        var mask = nodeMask.unsqueeze(0);
        while (mask.dim() < x.dim()) mask = mask.unsqueeze(-2);
        return x.masked_fill(mask.logical_not(), double.NegativeInfinity);
    }

    /// <summary>Mean over the valid nodes of x [Bi, Bj, T].</summary>
    private static Tensor NodeMean(Tensor x, Tensor nodeMask)
    {
        var w = nodeMask.to(x.dtype);
        return (x * w.unsqueeze(0)).sum(-1) / w.sum(-1).unsqueeze(0);
    }
}
