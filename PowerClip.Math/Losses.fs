namespace PowerClip.Spec

/// The batch losses over a C×C score matrix whose diagonal holds the matched pairs.
module Losses =

    /// The definitions, generic over the number type (Scalar.fs); the float functions below instantiate them.
    module Generic =

        /// Symmetric InfoNCE (open_clip ClipLoss): mean of the cross-entropy over rows and over columns, targets =
        /// the diagonal.
        let inline infoNce (logits: ^T[,]) : ^T =
            Validate.square "logits" logits
            let c = Array2D.length1 logits
            let rowCe i = Numerics.logSumExp logits[i, *] - logits[i, i]
            let colCe j = Numerics.logSumExp logits[*, j] - logits[j, j]
            num 0.5 * (Array.averageBy rowCe [| 0 .. c - 1 |] + Array.averageBy colCe [| 0 .. c - 1 |])

        /// ℓ_δ(X) = (1/C) Σ_i max(0, max_{j≠i} X[i,j] − X[i,i] + δ): hardest-negative triplet over rows
        /// (TripletLoss; the caller applies it to Xᵀ too). Needs C ≥ 2 so every row has a negative.
        let inline triplet (delta: ^T) (x: ^T[,]) : ^T =
            Validate.square "X" x
            if not (System.Double.IsFinite (float delta)) then
                raise (System.ArgumentException $"delta must be finite, got {float delta}")
            let c = Array2D.length1 x
            if c < 2 then
                raise (System.ArgumentException "the triplet loss needs at least 2 pairs (a negative per row)")
            let row i =
                let hardest = [| for j in 0 .. c - 1 do if j <> i then yield x[i, j] |] |> maxElement
                maxOf (num 0.0) (hardest - x[i, i] + delta)
            Array.averageBy row [| 0 .. c - 1 |]

    let infoNce (logits: float[,]) : float = Generic.infoNce logits

    let triplet (delta: float) (x: float[,]) : float = Generic.triplet delta x
