namespace PowerClip.Spec

/// The masking rules of the masking baselines on one image's patch grid (N = g² patches, patch n = row·g + column).
/// E-CLIP (cluster masking), CLIP-PGS (generation-to-selection) and A-CLIP (attentive blocks); see docs/baselines.md.
module PatchMasking =

    let private fail (message: string) : 'a = raise (System.ArgumentException message)

    let private dot (a: float[]) (b: float[]) : float = Array.fold2 (fun s x y -> s + x * y) 0.0 a b

    /// Norm below which a centred patch counts as flat (relative to √D), as PowerClip.Model.PatchSimilarity.
    let flatTolerance : float = 1e-6

    /// Pixel similarity: cosine of mean-centred patch vectors (Pearson correlation); 0 for a flat patch.
    let pixelSimilarity (patches: float[][]) : float[,] =
        let centred =
            patches |> Array.map (fun p ->
                let m = Array.average p
                let c = Array.map (fun x -> x - m) p
                let n = max (sqrt (dot c c)) (flatTolerance * sqrt (float p.Length))
                Array.map (fun x -> x / n) c)
        Array2D.init patches.Length patches.Length (fun i j -> dot centred[i] centred[j])

    /// Sinkhorn–Knopp on max(M, 0): columns then rows divided by (sum + ε), stopping when every row and column
    /// sum is within ε of 1 (or 0) or after the given rounds.
    let sinkhorn (iterations: int) (epsilon: float) (m: float[,]) : float[,] =
        let n, k = Array2D.length1 m, Array2D.length2 m
        let done' (sums: float[]) = sums |> Array.forall (fun s -> abs (s - 1.0) <= epsilon || s <= epsilon)
        let columnSums (x: float[,]) = Array.init k (fun j -> Seq.sum (seq { for i in 0 .. n - 1 -> x[i, j] }))
        let rowSums (x: float[,]) = Array.init n (fun i -> Seq.sum (seq { for j in 0 .. k - 1 -> x[i, j] }))
        let rec go (round: int) (x: float[,]) =
            let c, r = columnSums x, rowSums x
            if round >= iterations || (done' c && done' r) then x
            else
                let byColumn = Array2D.init n k (fun i j -> x[i, j] / (c[j] + epsilon))
                let r2 = rowSums byColumn
                go (round + 1) (Array2D.init n k (fun i j -> byColumn[i, j] / (r2[i] + epsilon)))
        go 0 (Array2D.map (fun x -> max x 0.0) m)

    /// Sobel magnitude of a g×g grey map with replicated borders, min–max normalised: (e − min)/(max − min + 1e-6).
    let sobelEdges (grey: float[,]) : float[] =
        let g = Array2D.length1 grey
        let at (i: int) (j: int) = grey[min (g - 1) (max 0 i), min (g - 1) (max 0 j)]
        let magnitude i j =
            let gx =
                (at (i - 1) (j + 1) + 2.0 * at i (j + 1) + at (i + 1) (j + 1))
                - (at (i - 1) (j - 1) + 2.0 * at i (j - 1) + at (i + 1) (j - 1))
            let gy =
                (at (i + 1) (j - 1) + 2.0 * at (i + 1) j + at (i + 1) (j + 1))
                - (at (i - 1) (j - 1) + 2.0 * at (i - 1) j + at (i - 1) (j + 1))
            sqrt (gx * gx + gy * gy)
        let e = Array.init (g * g) (fun n -> magnitude (n / g) (n % g))
        let lo, hi = Array.min e, Array.max e
        e |> Array.map (fun x -> (x - lo) / (hi - lo + 1e-6))

    /// The patches the clusters of the anchors cover: anchors = the `anchors` highest priorities (ties: lower index);
    /// patch n is masked when sim[a, n] > threshold for an anchor a (and every anchor, with maskAnchors).
    let clusterMask (sim: float[,]) (priority: float[]) (anchors: int) (threshold: float) (maskAnchors: bool) : bool[] =
        let n = priority.Length
        let chosen = Array.init n id |> Array.sortBy (fun i -> -priority[i], i) |> Array.truncate anchors
        Array.init n (fun p -> chosen |> Array.exists (fun a -> sim[a, p] > threshold || (maskAnchors && a = p)))

    /// K = min(⌊N·(1 − minMaskRatio)⌋, most unmasked patches of any image), at least 1.
    let keepCount (patches: int) (minMaskRatio: float) (mostUnmasked: int) : int =
        max 1 (min (int (floor (float patches * (1.0 - minMaskRatio) + 1e-9))) mostUnmasked)

    /// Generation-to-selection for a batch: per image the masked set, then every image keeps K patches — its unmasked
    /// ones in cutoff order first (the minimum mask ratio drops the rest), then masked fillers (invisible) in cutoff
    /// order. An image whose clusters cover it all un-masks its first patch by cutoff order. Kept indices ascending.
    let clusterSelect (sims: float[,][]) (priorities: float[][]) (cutoffs: float[][]) (anchors: int) (threshold: float)
                      (minMaskRatio: float) (maskAnchors: bool) : (int * bool)[][] =
        let masks =
            Array.init sims.Length (fun b ->
                let m = clusterMask sims[b] priorities[b] anchors threshold maskAnchors
                if Array.forall id m then
                    let first = Array.init m.Length id |> Array.minBy (fun i -> cutoffs[b][i])
                    m |> Array.mapi (fun i x -> x && i <> first)
                else m)
        let n = priorities[0].Length
        let mostUnmasked = masks |> Array.map (fun m -> m |> Array.filter not |> Array.length) |> Array.max
        let k = keepCount n minMaskRatio mostUnmasked
        masks |> Array.mapi (fun b m ->
            Array.init n id
            |> Array.sortBy (fun i -> (if m[i] then 2.0 else 0.0) + cutoffs[b][i])
            |> Array.truncate k
            |> Array.sort
            |> Array.map (fun i -> i, not m[i]))

    /// A-CLIP's attentive blocks: scores g×g averaged over s×s blocks; the ⌈keep·blocks⌉ best blocks (ties: lower
    /// block index) give their patches, ascending.
    let attentiveBlocks (scores: float[,]) (keepRatio: float) (blockSize: int) : int[] =
        let g = Array2D.length1 scores
        if blockSize < 1 || g % blockSize <> 0 then fail $"block size {blockSize} must divide the grid {g}"
        let gb = g / blockSize
        let mean (br: int) (bc: int) =
            Seq.average (seq { for i in 0 .. blockSize - 1 do
                                  for j in 0 .. blockSize - 1 -> scores[br * blockSize + i, bc * blockSize + j] })
        let kept = max 1 (int (ceil (keepRatio * float (gb * gb) - 1e-9)))
        Array.init (gb * gb) id
        |> Array.sortBy (fun q -> -(mean (q / gb) (q % gb)), q)
        |> Array.truncate kept
        |> Array.collect (fun q ->
            [| for i in 0 .. blockSize - 1 do
                 for j in 0 .. blockSize - 1 -> (q / gb * blockSize + i) * g + q % gb * blockSize + j |])
        |> Array.sort
