namespace PowerClip.Spec

/// The exact aggregations over all 2^M region subsets A ⊆ 𝓜 (the specification; exponential in M).
/// Q[A,B] = Σ_{m∈A} S1[m,B] because region-subset and phrase embeddings are unnormalised sums.
module Powerset =

    /// Largest M the enumerations accept: 2^20 subsets.
    [<Literal>]
    let MaxRegions = 20

    let private checkM (m: int) : unit =
        if m > MaxRegions then
            raise (System.ArgumentException $"exact powerset sums enumerate 2^M subsets; M = {m} exceeds the limit M <= {MaxRegions}")

    /// Q[A,·] for the subset whose members are the set bits of mask; written into row (length |𝒯|).
    let private fillQ (s1: float[,]) (mask: int) (row: float[]) : unit =
        let regions, nodes = Array2D.length1 s1, Array2D.length2 s1
        for b in 0 .. nodes - 1 do
            let mutable q = 0.0
            for m in 0 .. regions - 1 do
                if mask &&& (1 <<< m) <> 0 then q <- q + s1[m, b]
            row[b] <- q

    /// Folds f over Q[A,·] for every A ⊆ 𝓜 (A = ∅ included, where Q = 0) and returns the mean.
    let private meanOverSubsets (f: float[] -> float) (s0: float[,]) (tree: ParseTree) : float =
        let s1 = Similarity.s1 s0 tree
        let m = Array2D.length1 s1
        checkM m
        let row = Array.zeroCreate (Array2D.length2 s1)
        let mutable acc = 0.0
        for mask in 0 .. (1 <<< m) - 1 do
            fillQ s1 mask row
            acc <- acc + f row
        acc / float (1 <<< m)

    /// Q→ = 2^-M Σ_A max_B Q[A,B]: each region subset picks its best phrase (R2T).
    let r2tExact (s0: float[,]) (tree: ParseTree) : float = meanOverSubsets Array.max s0 tree

    /// Q̃→_τ = 2^-M Σ_A LSE_τ,B(Q[A,B]): R2T with max_B relaxed to a log-sum-exp (Lemma B.2).
    let r2tLse (tau: float) (s0: float[,]) (tree: ParseTree) : float =
        Validate.tau tau
        meanOverSubsets (Numerics.lseTau tau) s0 tree

    /// Q← = |𝒯|^-1 Σ_B max_A Q[A,B]: each phrase picks its best region subset (T2R), by enumeration.
    let t2rExact (s0: float[,]) (tree: ParseTree) : float =
        let s1 = Similarity.s1 s0 tree
        let m, nodes = Array2D.length1 s1, Array2D.length2 s1
        checkM m
        let best = Array.create nodes System.Double.NegativeInfinity
        let row = Array.zeroCreate nodes
        for mask in 0 .. (1 <<< m) - 1 do
            fillQ s1 mask row
            for b in 0 .. nodes - 1 do
                if row[b] > best[b] then best[b] <- row[b]
        Array.average best

    /// Σ_{A⊆[M]} Π_{m∈A} x_m by enumeration (Lemma B.1 says it equals Π_m (1 + x_m)).
    let sumOfSubsetProducts (xs: float[]) : float =
        checkM xs.Length
        let mutable acc = 0.0
        for mask in 0 .. (1 <<< xs.Length) - 1 do
            let mutable p = 1.0
            for m in 0 .. xs.Length - 1 do
                if mask &&& (1 <<< m) <> 0 then p <- p * xs[m]
            acc <- acc + p
        acc
