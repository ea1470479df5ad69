/// The C# score gradients where training runs: τ ∈ {1e-3, 1e-2}, M up to 12, S1 exactly 0 and ties, float64,
/// 200 seeded random cases (each a 2×2 batch of pairs with padded leaves and nodes), against
///   (a) fourth-order central differences of the spec's float definitions with h = τ/100, and
///   (b) the spec's own reverse-mode AD (PowerClip.Math Gradient.reverse on Tape numbers).
/// Tolerances. (a) 1e-6 absolute per entry: the scores vary on the scale τ, so the stencil's truncation error is
/// ≈ (h/τ)⁴/30·|f⁽⁵⁾|τ⁴ ≤ 4e-11 (softplus⁽⁵⁾ ≤ 1/8, likewise for LSE∘Λ per node) and its rounding error
/// ≈ 1.5·ε·|f|/h ≤ 6e-9 at τ = 1e-3 (|f| ≤ M·max|B| = 180); 1e-6 is over 100× the larger. (b) 1e-9 relative to
/// the gradient's size (both are exact derivatives computed in a different order; observed ≤ 1e-12).
/// S1 = 0 exactly: S0 on the grid {−1, −½, 0, ½, 1} (sums of it are exact), and a region of zeros; ties: a
/// duplicated region, and equal node sums on the grid.
module PowerClip.Model.Tests.GradientRegimeTests

open System
open Expecto
open TorchSharp
open PowerClip.Spec
open PowerClip.Model
open PowerClip.Model.Tests.TestData

let bi, bj = 2, 2

type RegimeCase =
    { Seed: int; Tau: float; M: int; Trees: CaptionTree[]; Leaves: int; S0: float[] }
    override c.ToString() = $"case(seed {c.Seed}, tau {c.Tau}, M {c.M})"

let regimeCase (seed: int) : RegimeCase =
    let r = Random seed
    let m = 1 + seed % 12
    let trees = randomTrees r bj 1 12
    let l = trees |> Array.map (fun t -> t.LeafSpans.Count) |> Array.max
    let grid = seed % 2 = 0
    let entry () = if grid then float (r.Next(-2, 3)) / 2.0 else 2.0 * r.NextDouble() - 1.0
    let s0 = Array.init (bi * bj * m * l) (fun _ -> entry ())
    if m >= 3 && seed % 4 = 0 then
        // Region 0 all zeros (S1 = 0 in every node), region 1 a copy of region 2 (ties across regions).
        for p in 0 .. bi * bj - 1 do
            for k in 0 .. l - 1 do
                s0[(p * m + 0) * l + k] <- 0.0
                s0[(p * m + 1) * l + k] <- s0[(p * m + 2) * l + k]
    { Seed = seed; Tau = (if seed % 3 = 0 then 1e-2 else 1e-3); M = m; Trees = trees; Leaves = l; S0 = s0 }

let cases : Lazy<RegimeCase list> = lazy [ for k in 1 .. 200 -> regimeCase (500 + k) ]

/// One C# score function of (S1, node mask) and the same quantity in the spec, float and Tape.
type Scored =
    { Name: string
      CSharp: RegimeCase -> torch.Tensor -> torch.Tensor -> torch.Tensor
      Float: RegimeCase -> float[,] -> ParseTree -> float
      Tape: RegimeCase -> Tape[,] -> ParseTree -> Tape }

/// The C# scores and their gradient with respect to S0 [bi, bj, M, L] (autograd through S1FromS0).
let csharpGradient (f: Scored) (c: RegimeCase) : float[] * float[] =
    use scope = torch.NewDisposeScope()
    use phrases = PhraseBatch.Build(c.Trees, 32, torch.float64)
    let s0 = (t64 c.S0 [| int64 bi; int64 bj; int64 c.M; int64 c.Leaves |]).requires_grad_(true)
    let out = f.CSharp c (PowerClipScores.S1FromS0(s0, phrases.Membership)) phrases.NodeMask
    out.sum().backward()
    values out, values (nonNull s0.grad)

/// What checkFunction compares besides the values: FD and AD for smooth functions; AD alone for piecewise-linear
/// ones at continuous inputs (FD straddles kinks); nothing at grid inputs, where ties sit on their kinks.
type GradientCheck =
    | FdAndAd
    | AdOnly
    | ValuesOnly

/// Checks one function on one case: values (1e-9), C# gradient vs FD of the spec (1e-6) and vs its reverse AD (1e-9).
let checkFunction (check: GradientCheck) (f: Scored) (c: RegimeCase) : unit =
    let scores, grad = csharpGradient f c
    for i in 0 .. bi - 1 do
        for j in 0 .. bj - 1 do
            let leaves = c.Trees[j].LeafSpans.Count
            let tree = mathTree c.Trees[j]
            let block = pairBlock c.S0 bj c.M c.Leaves i j leaves
            let value = f.Float c block tree
            Expect.isLessThanOrEqual (abs (scores[i * bj + j] - value)) 1e-9 $"{f.Name}, {c}, pair ({i},{j}): value"
            let ad = Array2D.init c.M leaves (fun m k -> grad[((i * bj + j) * c.M + m) * c.Leaves + k])
            if check = FdAndAd then
                let fd = Gradient.finiteDifference (c.Tau / 100.0) (fun s0 -> f.Float c s0 tree) block
                let fdErr = maxAbsDiff (Gradient.flatten ad) (Gradient.flatten fd)
                Expect.isLessThanOrEqual fdErr 1e-6 $"{f.Name}, {c}, pair ({i},{j}): C# vs FD of the spec, {fdErr:E2}"
            if check <> ValuesOnly then
                let reverse = Gradient.reverse (fun s0 -> f.Tape c s0 tree) block
                let adErr = Gradient.relativeError 1e-12 reverse ad
                Expect.isLessThanOrEqual adErr 1e-9 $"{f.Name}, {c}, pair ({i},{j}): C# vs the spec's AD, {adErr:E2}"

let tape (x: float) : Tape = num x

let private functions : Scored list =
    [ { Name = "NlaT1 (the w/o-R2T ablation's path)"
        CSharp = (fun c s1 mask -> PowerClipScores.NlaT1(s1, mask, c.Tau))
        Float = (fun c -> Nla.t1 c.Tau); Tape = fun c -> Nla.Generic.t1 (tape c.Tau) }
      { Name = "NlaT2 (zeta 0.75, lower reading)"
        CSharp = (fun c s1 mask -> PowerClipScores.NlaT2(s1, mask, c.Tau, 0.25))
        Float = (fun c -> Nla.t2 c.Tau 0.75 ZetaWeightsLower)
        Tape = fun c -> Nla.Generic.t2 (tape c.Tau) (tape 0.75) ZetaWeightsLower }
      { Name = "Combine = NlaBoth / M (the training default)"
        CSharp = (fun c s1 mask -> PowerClipScores.Combine(s1, mask, PowerClipLossConfig(Tau = c.Tau)))
        Float = (fun c s0 t -> (Nla.t1 c.Tau s0 t + Nla.t2 c.Tau 0.75 ZetaWeightsLower s0 t) / float c.M)
        Tape = fun c s0 t ->
            let t2 = Nla.Generic.t2 (tape c.Tau) (tape 0.75) ZetaWeightsLower s0 t
            (Nla.Generic.t1 (tape c.Tau) s0 t + t2) / tape (float c.M) }
      { Name = "R2T alone (the w/o-T2R ablation's path)"
        CSharp = (fun c s1 mask -> PowerClipScores.Combine(s1, mask, PowerClipLossConfig(Tau = c.Tau, UseT2R = false)))
        Float = (fun c s0 t -> Nla.t2 c.Tau 0.75 ZetaWeightsLower s0 t / float c.M)
        Tape = fun c s0 t -> Nla.Generic.t2 (tape c.Tau) (tape 0.75) ZetaWeightsLower s0 t / tape (float c.M) }
      { Name = "T2R alone through Combine (the w/o-R2T ablation)"
        CSharp = (fun c s1 mask -> PowerClipScores.Combine(s1, mask, PowerClipLossConfig(Tau = c.Tau, UseR2T = false)))
        Float = (fun c s0 t -> Nla.t1 c.Tau s0 t / float c.M)
        Tape = fun c s0 t -> Nla.Generic.t1 (tape c.Tau) s0 t / tape (float c.M) } ]

[<Tests>]
let tests =
    testSequenced <| testList "gradients in the training regime (float64)" [
        for f in functions do
            test $"{f.Name}: 200 cases, tau 1e-3 and 1e-2, M 1..12, S1 = 0 and ties" {
                for c in cases.Force() do checkFunction FdAndAd f c
            }
        test "the cases contain S1 exactly 0 and tied regions, at both tau" {
            let all = cases.Force()
            Expect.isGreaterThanOrEqual all.Length 200 "at least 200 cases"
            let has tau = all |> List.exists (fun c -> c.Tau = tau)
            Expect.isTrue (has 1e-3 && has 1e-2) "both tau"
            Expect.equal (all |> List.map (fun c -> c.M) |> List.max) 12 "M up to 12"
            let zeros = all |> List.sumBy (fun c ->
                [ for i in 0 .. bi - 1 do
                    for j in 0 .. bj - 1 do
                        let block = pairBlock c.S0 bj c.M c.Leaves i j c.Trees[j].LeafSpans.Count
                        let s1 = Similarity.s1 block (mathTree c.Trees[j])
                        yield s1 |> Seq.cast<float> |> Seq.filter ((=) 0.0) |> Seq.length ] |> List.sum)
            Expect.isGreaterThan zeros 500 $"S1 = 0 entries: {zeros}"
        }
    ]
