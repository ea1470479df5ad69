namespace PowerClip.Spec

/// How SPARC's fine-grained loss averages over tokens: eq. (6) per caption, or Listing 1's one mean over all tokens.
type SparcAveraging =
    | PerCaption
    | PerToken

/// SPARC's fine-grained loss L_f (Bica et al., ICML 2024, eqs. 2–6), one caption at a time.
module Sparc =

    let private fail (message: string) : 'a = raise (System.ArgumentException message)

    let private row (m: float[,]) (i: int) : float[] = m[i, *]

    let private dot (a: float[]) (b: float[]) : float = Array.fold2 (fun s x y -> s + x * y) 0.0 a b

    /// a/|a|, or 0 for the zero vector.
    let unit (a: float[]) : float[] =
        let n = sqrt (dot a a)
        if n = 0.0 then Array.zeroCreate a.Length else Array.map (fun x -> x / n) a

    /// Alignment weights a_lp (eqs. 2–4): s_lp = t_l·v_p, min-max over p, zero below σ, divided by the row sum
    /// (a row that is constant or all below σ has weight 0 everywhere).
    let alignmentWeights (sigma: float) (unitSimilarity: bool) (patches: float[,]) (tokens: float[,]) : float[,] =
        let p, l = Array2D.length1 patches, Array2D.length1 tokens
        let prep (v: float[]) = if unitSimilarity then unit v else v
        let weightsOf (i: int) : float[] =
            let s = Array.init p (fun k -> dot (prep (row tokens i)) (prep (row patches k)))
            let lo, hi = Array.min s, Array.max s
            let scaled = s |> Array.map (fun x -> if hi > lo then (x - lo) / (hi - lo) else 0.0)
            let sparse = scaled |> Array.map (fun x -> if x >= sigma then x else 0.0)
            let total = Array.sum sparse
            sparse |> Array.map (fun x -> if total > 0.0 then x / total else 0.0)
        let rows = Array.init l weightsOf
        Array2D.init l p (fun i k -> rows[i][k])

    /// L_f of one caption's two directions: (mean_l −log softmax_k ⟨ĉ_l, t̂_k⟩/τ at k = l, mean_l of the transposed).
    /// Returns the per-token negative log-likelihoods of both directions.
    let captionTerms (inverseTemperature: float) (sigma: float) (unitSimilarity: bool)
                     (patches: float[,]) (tokens: float[,]) : float[] * float[] =
        let l, d = Array2D.length1 tokens, Array2D.length2 tokens
        let w = alignmentWeights sigma unitSimilarity patches tokens
        let groupOf (i: int) : float[] =
            let p = Array2D.length1 patches
            Array.init d (fun j -> Seq.sum (seq { for k in 0 .. p - 1 -> w[i, k] * patches[k, j] }))
        let grouped = Array.init l (groupOf >> unit)
        let t = Array.init l (fun i -> unit (row tokens i))
        let logits = Array2D.init l l (fun i k -> inverseTemperature * dot grouped[i] t[k])
        let vl = Array.init l (fun i -> Numerics.logSumExp logits[i, *] - logits[i, i])
        let lv = Array.init l (fun i -> Numerics.logSumExp logits[*, i] - logits[i, i])
        vl, lv

    /// L_f over a batch: patches[b] is P×D, tokens[b] the caption's valid tokens, L_b×D (L_b ≥ 1); σ = 1/P unless
    /// given.
    let fineGrained (averaging: SparcAveraging) (inverseTemperature: float) (sigma: float option) (unitSimilarity: bool)
                    (patches: float[,][]) (tokens: float[,][]) : float =
        if patches.Length = 0 || patches.Length <> tokens.Length then
            fail $"SPARC needs one token set per image, got {patches.Length} images and {tokens.Length} captions"
        if tokens |> Array.exists (fun t -> Array2D.length1 t < 1) then fail "every caption needs at least one token"
        let terms =
            let sigmaOf (v: float[,]) = defaultArg sigma (1.0 / float (Array2D.length1 v))
            let terms (v: float[,]) (t: float[,]) = captionTerms inverseTemperature (sigmaOf v) unitSimilarity v t
            Array.map2 terms patches tokens
        match averaging with
        | PerCaption -> terms |> Array.averageBy (fun (vl, lv) -> (Array.average vl + Array.average lv) / 2.0)
        | PerToken ->
            let all f = terms |> Array.collect f
            (Array.average (all fst) + Array.average (all snd)) / 2.0
