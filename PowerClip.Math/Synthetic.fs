namespace PowerClip.Spec

/// How the study draws S0: CLIP-like cosines, or the stress range uniform in [−1, 1].
type SimilarityModel =
    | ClipLike
    | Uniform

/// Random image–caption inputs: parse-like trees and region×word similarity matrices. Used by the
/// properties and by the approximation study; every draw comes from the caller's seeded Random.
module Synthetic =

    /// A constituency-like tree over leaves 0..L-1: the root and the phrases obtained by splitting spans
    /// recursively into 2–3 contiguous children (spans of ≥ 2 words); leaves join the node set when includeLeaves.
    let parseLikeTree (rng: System.Random) (leaves: int) (includeLeaves: bool) : ParseTree =
        if leaves < 1 then raise (System.ArgumentException $"a tree needs at least one leaf, got {leaves}")
        let rec split (a: int) (b: int) : int[] list =
            if b - a < 2 then []
            else
                let parts = min (b - a) (rng.Next(2, 4))
                let cuts =
                    Seq.initInfinite (fun _ -> rng.Next(a + 1, b)) |> Seq.distinct |> Seq.take (parts - 1) |> Seq.sort
                        |> Seq.toList
                List.pairwise ((a :: cuts) @ [ b ])
                |> List.collect
                    (fun (x, y) -> (if y - x >= 2 && y - x < leaves then [ [| x .. y - 1 |] ] else []) @ split x y)
        let phrases = [| 0 .. leaves - 1 |] :: split 0 leaves
        let leafNodes = if includeLeaves && leaves > 1 then [ for l in 0 .. leaves - 1 -> [| l |] ] else []
        { LeafCount = leaves; Nodes = phrases @ leafNodes |> List.distinct |> List.toArray }

    /// Standard normal draw (Box–Muller).
    let private gaussian (rng: System.Random) : float =
        sqrt (-2.0 * log (1.0 - rng.NextDouble())) * cos (2.0 * System.Math.PI * rng.NextDouble())

    /// CLIP-like region×word cosines [assumption, not from the paper]: a per-pair offset uniform in
    /// [−0.1, 0.2] (matched and unmatched pairs), +U(0.1, 0.3) where a word is grounded in a region
    /// (probability 0.3 per region–word pair), Gaussian noise with s.d. 0.1; clipped to [−1, 1].
    let clipLikeSimilarities (rng: System.Random) (regions: int) (leaves: int) : float[,] =
        let offset = -0.1 + 0.3 * rng.NextDouble()
        Array2D.init regions leaves (fun _ _ ->
            let grounded = if rng.NextDouble() < 0.3 then 0.1 + 0.2 * rng.NextDouble() else 0.0
            offset + grounded + 0.1 * gaussian rng |> max -1.0 |> min 1.0)

    /// Stress inputs: every entry uniform in [−1, 1] (the property tests' range).
    let uniformSimilarities (rng: System.Random) (regions: int) (leaves: int) : float[,] =
        Array2D.init regions leaves (fun _ _ -> 2.0 * rng.NextDouble() - 1.0)

    /// One study input: a caption of 5–15 words with phrases plus root as nodes, and its S0.
    let studyCase (model: SimilarityModel) (rng: System.Random) (regions: int) : float[,] * ParseTree =
        let tree = parseLikeTree rng (rng.Next(5, 16)) false
        let draw = match model with ClipLike -> clipLikeSimilarities | Uniform -> uniformSimilarities
        draw rng regions tree.LeafCount, tree

/// How the ranking study draws a B × B batch [assumption, not from the paper: its batches are unknown].
type BatchModel =
    /// CLIP-like cosines per pair (clipLikeSimilarities' model); the matched pair's words are grounded with
    /// probability 0.3, a negative's with 0.15 (negatives share some content).
    | ClipLikeBatch
    /// Built to be hard for a ranking: many nodes (12–20 words, leaves as nodes too), negatives whose offsets lie
    /// within ±0.02 of each other (near-ties between the hardest negative and the runners-up), and half of them
    /// "concentrated" (a few regions strongly similar, the rest below) with the same region sum as the "diffuse"
    /// others, so L_τ, which sees only Σ_m S1, cannot tell them apart while the exact R2T can.
    | AdversarialBatch

/// One batch: captions' trees (column j) and S0 for every pair (image i, caption j).
type Batch = { Trees: ParseTree[]; S0: float[,][,] }

module SyntheticBatch =

    let private gaussian (rng: System.Random) : float =
        sqrt (-2.0 * log (1.0 - rng.NextDouble())) * cos (2.0 * System.Math.PI * rng.NextDouble())

    let private clipLikePair (rng: System.Random) (matched: bool) (regions: int) (leaves: int) : float[,] =
        let offset = -0.1 + 0.3 * rng.NextDouble()
        let p = if matched then 0.3 else 0.15
        Array2D.init regions leaves (fun _ _ ->
            let grounded = if rng.NextDouble() < p then 0.1 + 0.2 * rng.NextDouble() else 0.0
            offset + grounded + 0.1 * gaussian rng |> max -1.0 |> min 1.0)

    let private adversarialNegative (rng: System.Random) (baseline: float) (regions: int) (leaves: int) : float[,] =
        let offset = baseline - 0.02 + 0.04 * rng.NextDouble()
        if regions < 2 || rng.NextDouble() < 0.5 then
            Array2D.init regions leaves (fun _ _ -> offset + 0.02 * gaussian rng)
        else
            // k strong regions at +c, the others at −c·k/(M − k): every column keeps the region sum M·offset.
            let k = rng.Next(1, min 4 regions)
            let c = 0.2 + 0.2 * rng.NextDouble()
            let strong = Array.init regions id |> Array.sortBy (fun _ -> rng.Next()) |> Array.take k |> Set.ofArray
            Array2D.init regions leaves (fun m _ ->
                offset + (if strong.Contains m then c else -c * float k / float (regions - k)))

    /// A seeded B × B batch with M regions per image.
    let draw (model: BatchModel) (rng: System.Random) (size: int) (regions: int) : Batch =
        if size < 2 then raise (System.ArgumentException $"a batch needs at least 2 pairs, got {size}")
        if regions < 1 then raise (System.ArgumentException $"regions must be >= 1, got {regions}")
        match model with
        | ClipLikeBatch ->
            let trees = Array.init size (fun _ -> Synthetic.parseLikeTree rng (rng.Next(5, 16)) false)
            { Trees = trees
              S0 = Array2D.init size size (fun i j -> clipLikePair rng (i = j) regions trees[j].LeafCount) }
        | AdversarialBatch ->
            let trees = Array.init size (fun _ -> Synthetic.parseLikeTree rng (rng.Next(12, 21)) true)
            let baseline = -0.05 + 0.1 * rng.NextDouble()
            { Trees = trees
              S0 = Array2D.init size size (fun i j ->
                if i = j then Array2D.map (fun v -> v + 0.05) (clipLikePair rng true regions trees[j].LeafCount)
                else adversarialNegative rng baseline regions trees[j].LeafCount) }
