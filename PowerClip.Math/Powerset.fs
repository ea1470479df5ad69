namespace PowerClip.Spec

/// Which region subsets R2T averages over. [reconstructed] The paper writes 2^-M Σ_{A⊆𝓜}, which counts the
/// empty set (its best phrase scores 0); NonEmptySubsets averages over the other 2^M − 1. Every R2T form of the
/// non-empty range is an affine map of the all-subsets one (proofs/r2t-subsets.md).
type SubsetRange =
    | AllSubsets
    | NonEmptySubsets

/// The exact aggregations over the region subsets A ⊆ 𝓜 (the specification; exponential in M).
/// Q[A,B] = Σ_{m∈A} S1[m,B] because region-subset and phrase embeddings are unnormalised sums.
module Powerset =

    /// Largest M the enumerations accept: 2^20 subsets.
    [<Literal>]
    let MaxRegions = 20

    let checkM (m: int) : unit =
        if m > MaxRegions then
            raise (System.ArgumentException $"exact powerset sums enumerate 2^M subsets; M = {m} exceeds the limit M \
                   <= {MaxRegions}")

    /// The first subset mask of a range: 0 (∅) for all subsets, 1 for the non-empty ones.
    let firstMask (range: SubsetRange) : int = match range with AllSubsets -> 0 | NonEmptySubsets -> 1

    /// The definitions, generic over the number type (Scalar.fs); the float functions below instantiate them.
    module Generic =

        /// Q[A,·] for the subset whose members are the set bits of mask; written into row (length |𝒯|).
        let inline fillQ (s1: ^T[,]) (mask: int) (row: ^T[]) : unit =
            let regions, nodes = Array2D.length1 s1, Array2D.length2 s1
            for b in 0 .. nodes - 1 do
                let mutable q = num 0.0
                for m in 0 .. regions - 1 do
                    if mask &&& (1 <<< m) <> 0 then q <- q + s1[m, b]
                row[b] <- q

        /// Folds f over Q[A,·] for every A in the range (A = ∅, where Q = 0, only in AllSubsets) and returns the mean.
        let inline meanOverSubsets (range: SubsetRange) (f: ^T[] -> ^T) (s0: ^T[,]) (tree: ParseTree) : ^T =
            let s1 = Similarity.s1 s0 tree
            let m = Array2D.length1 s1
            checkM m
            let row = Array.zeroCreate (Array2D.length2 s1)
            let mutable acc = num 0.0
            for mask in firstMask range .. (1 <<< m) - 1 do
                fillQ s1 mask row
                acc <- acc + f row
            acc / num (float ((1 <<< m) - firstMask range))

        /// Q→ = 2^-M Σ_A max_B Q[A,B] (over the range's subsets): each region subset picks its best phrase (R2T).
        let inline r2tExactOver (range: SubsetRange) (s0: ^T[,]) (tree: ParseTree) : ^T =
            meanOverSubsets range maxElement s0 tree

        /// Q̃→_τ = 2^-M Σ_A LSE_τ,B(Q[A,B]) (over the range's subsets): R2T with max_B relaxed (Lemma B.2).
        let inline r2tLseOver (range: SubsetRange) (tau: ^T) (s0: ^T[,]) (tree: ParseTree) : ^T =
            Validate.tau (float tau)
            meanOverSubsets range (Numerics.lseTau tau) s0 tree

        /// Q← = |𝒯|^-1 Σ_B max_A Q[A,B]: each phrase picks its best region subset (T2R), by enumeration.
        let inline t2rExact (s0: ^T[,]) (tree: ParseTree) : ^T =
            let s1 = Similarity.s1 s0 tree
            let m, nodes = Array2D.length1 s1, Array2D.length2 s1
            checkM m
            let best = Array.create nodes (num System.Double.NegativeInfinity)
            let row = Array.zeroCreate nodes
            for mask in 0 .. (1 <<< m) - 1 do
                fillQ s1 mask row
                for b in 0 .. nodes - 1 do
                    if float row[b] > float best[b] then best[b] <- row[b]
            Array.average best

        /// The non-empty-subsets mean from the all-subsets mean `all` of some per-subset quantity whose value at
        /// A = ∅ is `atEmpty`: (2^M·all − atEmpty) / (2^M − 1). Exact for every R2T form (proofs/r2t-subsets.md).
        let inline nonEmptyFromAll (regions: int) (atEmpty: ^T) (all: ^T) : ^T =
            checkM regions
            let n = float (1 <<< regions)
            (num n * all - atEmpty) / num (n - 1.0)

    /// Q→ over all 2^M subsets (the paper's form).
    let r2tExact (s0: float[,]) (tree: ParseTree) : float = Generic.r2tExactOver AllSubsets s0 tree

    /// Q→ over the given subset range.
    let r2tExactOver (range: SubsetRange) (s0: float[,]) (tree: ParseTree) : float = Generic.r2tExactOver range s0 tree

    /// Q̃→_τ over all 2^M subsets.
    let r2tLse (tau: float) (s0: float[,]) (tree: ParseTree) : float = Generic.r2tLseOver AllSubsets tau s0 tree

    /// Q̃→_τ over the given subset range.
    let r2tLseOver (range: SubsetRange) (tau: float) (s0: float[,]) (tree: ParseTree) : float =
        Generic.r2tLseOver range tau s0 tree

    /// Q← by enumeration.
    let t2rExact (s0: float[,]) (tree: ParseTree) : float = Generic.t2rExact s0 tree

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
