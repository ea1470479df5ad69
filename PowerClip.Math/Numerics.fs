namespace PowerClip.Spec

/// Overflow-free elementary functions, generic over the number type (Scalar.fs). With τ = 1e-3, S1/τ reaches
/// ~1e4, so nothing here exponentiates an unshifted argument.
module Numerics =

    /// log(1 + x) accurate for small x (Goldberg's correction; .NET's LogP1 is log(1 + x) as written). Through AD
    /// the correction is exact too: with u = 1 + x, d/dx [log u · x/(u − 1)] = 1/u because u − 1 and x have
    /// the same tangent.
    let inline log1p (x: ^T) : ^T =
        let u = num 1.0 + x
        if float u = 1.0 then x
        elif System.Double.IsPositiveInfinity (float u) then u
        else log u * x / (u - num 1.0)

    /// softplus(y) = log(1 + e^y), as relu(y) + log1p(e^−|y|) with relu(y) = (y + |y|)/2. The two terms have
    /// kinks at 0 that cancel; written this way every AD with |·|'(0) = 0 gets softplus'(0) = ½ (y/2 contributes
    /// ½, the rest 0), where max(y, 0) would give 0 or 1 (proofs/autodiff.md). Same float values as max(y, 0).
    let inline softplus (y: ^T) : ^T = num 0.5 * (y + abs y) + log1p (exp (-(abs y)))

    /// sp_τ(x) = τ·log(1 + e^{x/τ}).
    let inline softplusTau (tau: ^T) (x: ^T) : ^T = tau * softplus (x / tau)

    /// log cosh(y) = |y| + log1p(e^{-2|y|}) − log 2 (its AD derivative at 0 is tanh(0) = 0 with |·|'(0) = 0).
    let inline logCosh (y: ^T) : ^T =
        let a = abs y
        a + log1p (exp (num -2.0 * a)) - num (log 2.0)

    /// log Σ_k e^{y_k}, shifted by the maximum. Requires a non-empty array. The shift cancels in the derivative
    /// (∂/∂m of m + log Σ e^{y−m} is 0), so AD gives the softmax whichever element the maximum picks.
    let inline logSumExp (ys: ^T[]) : ^T =
        let m = maxElement ys
        if System.Double.IsNegativeInfinity (float m) then m
        else
            let mutable acc = num 0.0
            for y in ys do acc <- acc + exp (y - m)
            m + log acc

    /// LSE_τ(x) = τ·log Σ_k e^{x_k/τ}.
    let inline lseTau (tau: ^T) (xs: ^T[]) : ^T = tau * logSumExp (Array.map (fun x -> x / tau) xs)
