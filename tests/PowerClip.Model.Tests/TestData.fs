/// Seeded random inputs and conversions between F# arrays (PowerClip.Math) and float64 tensors.
module PowerClip.Model.Tests.TestData

open System
open TorchSharp
open PowerClip.Model

type MathTree = PowerClip.Spec.ParseTree

/// The Model's ζ reading and score scale as the specification's.
let mathReading (r: PowerClip.Model.ZetaReading) : PowerClip.Spec.ZetaReading =
    match r with
    | PowerClip.Model.ZetaReading.ZetaWeightsLogCosh -> PowerClip.Spec.ZetaWeightsLogCosh
    | PowerClip.Model.ZetaReading.LinearInterpolation -> PowerClip.Spec.LinearInterpolation
    | _ -> PowerClip.Spec.ZetaWeightsLower

let mathRange (r: PowerClip.Model.SubsetRange) : PowerClip.Spec.SubsetRange =
    if r = PowerClip.Model.SubsetRange.NonEmpty then PowerClip.Spec.NonEmptySubsets else PowerClip.Spec.AllSubsets

let mathScale (s: PowerClip.Model.ScoreScale) : PowerClip.Spec.ScoreScale =
    if s = PowerClip.Model.ScoreScale.Sum then PowerClip.Spec.Sum else PowerClip.Spec.RegionMean

let gaussian (r: Random) : float =
    let u1 = 1.0 - r.NextDouble()
    sqrt (-2.0 * log u1) * cos (2.0 * Math.PI * r.NextDouble())

/// A float64 tensor from a flat array and a shape.
let t64 (data: float[]) (shape: int64[]) : torch.Tensor = torch.from_array(Array.copy data).reshape(shape)

let values (t: torch.Tensor) : float[] = t.detach().cpu().to_type(torch.float64).contiguous().data<float>().ToArray()

let randomTensor (r: Random) (shape: int64[]) : torch.Tensor =
    t64 (Array.init (int (Array.fold (*) 1L shape)) (fun _ -> gaussian r)) shape

/// Unit vectors along the last dimension.
let unitTensor (r: Random) (shape: int64[]) : torch.Tensor =
    torch.nn.functional.normalize(randomTensor r shape, dim = -1L)

/// A random tree over `leaves` words: the root plus up to `extra` random contiguous phrases (≥ 2 words, distinct).
let randomNodes (r: Random) (leaves: int) (extra: int) : int[][] =
    let root = [| 0 .. leaves - 1 |]
    let phrases =
        [ for _ in 1 .. extra do
            if leaves >= 3 then
                let len = r.Next(2, leaves)
                let start = r.Next(0, leaves - len + 1)
                yield [| start .. start + len - 1 |] ]
    root :: phrases |> List.distinct |> Array.ofList

/// One caption tree whose word l covers BPE tokens [1 + 2l, 3 + 2l) when `twoTokens`, else [1 + l, 2 + l) (token 0 =
/// start of text).
let captionTree (leaves: int) (nodes: int[][]) (twoTokens: bool) : CaptionTree =
    let w = if twoTokens then 2 else 1
    CaptionTree([| for l in 0 .. leaves - 1 -> struct (1 + w * l, 1 + w * (l + 1)) |], nodes)

let mathTree (t: CaptionTree) : MathTree = { LeafCount = t.LeafSpans.Count; Nodes = Array.ofSeq t.Nodes }

/// Random trees for a batch, leaf counts in [minLeaves, maxLeaves] so that padding is exercised.
let randomTrees (r: Random) (batch: int) (minLeaves: int) (maxLeaves: int) : CaptionTree[] =
    Array.init batch (fun _ ->
        let leaves = r.Next(minLeaves, maxLeaves + 1)
        captionTree leaves (randomNodes r leaves 3) false)

/// The M×L block of a [Bi, Bj, M, L] array for pair (i, j), restricted to the first `leaves` columns.
let pairBlock (s0: float[]) (bj: int) (m: int) (l: int) (i: int) (j: int) (leaves: int) : float[,] =
    Array2D.init m leaves (fun a b -> s0[((i * bj + j) * m + a) * l + b])

/// Central finite difference of f at x in every coordinate.
let finiteDifference (h: float) (f: float[] -> float) (x: float[]) : float[] =
    Array.init x.Length (fun k ->
        let xp = Array.copy x
        let xm = Array.copy x
        xp[k] <- x[k] + h
        xm[k] <- x[k] - h
        (f xp - f xm) / (2.0 * h))

let maxAbsDiff (a: float[]) (b: float[]) : float =
    Array.map2 (fun (x: float) y -> abs (x - y)) a b |> Array.max
