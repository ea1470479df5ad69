namespace PowerClip.Spec

/// Overflow-free elementary functions. With τ = 1e-3, S1/τ reaches ~1e4, so nothing here
/// exponentiates an unshifted argument.
module Numerics =

    let private log2 : float = log 2.0

    /// log(1 + x) accurate for small x (Goldberg's correction; .NET's LogP1 is log(1 + x) as written).
    let log1p (x: float) : float =
        let u = 1.0 + x
        if u = 1.0 then x
        elif System.Double.IsPositiveInfinity u then u
        else log u * x / (u - 1.0)

    /// softplus(y) = log(1 + e^y), as max(y,0) + log1p(e^-|y|).
    let softplus (y: float) : float = max y 0.0 + log1p (exp (-(abs y)))

    /// sp_τ(x) = τ·log(1 + e^{x/τ}).
    let softplusTau (tau: float) (x: float) : float = tau * softplus (x / tau)

    /// log cosh(y) = |y| + log1p(e^{-2|y|}) − log 2.
    let logCosh (y: float) : float =
        let a = abs y
        a + log1p (exp (-2.0 * a)) - log2

    /// log Σ_k e^{y_k}, shifted by the maximum. Requires a non-empty array.
    let logSumExp (ys: float[]) : float =
        let m = Array.max ys
        if System.Double.IsNegativeInfinity m then m
        else
            let mutable acc = 0.0
            for y in ys do acc <- acc + exp (y - m)
            m + log acc

    /// LSE_τ(x) = τ·log Σ_k e^{x_k/τ}.
    let lseTau (tau: float) (xs: float[]) : float = tau * logSumExp (Array.map (fun x -> x / tau) xs)
