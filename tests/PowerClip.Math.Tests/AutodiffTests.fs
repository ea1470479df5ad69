/// Gradients with respect to S0 by the spec's own automatic differentiation: forward mode (Dual) and reverse
/// mode (Tape) run the same generic definitions as the float functions, and must agree with each other to
/// rounding and with central finite differences of the float definitions.
/// Smooth quantities (NLA-T1, NLA-T2, U_τ, L_τ, Q̃→_τ, InfoNCE) are checked in the training regime, τ ∈ {1e-3,
/// 1e-2, 0.1}, also at S1 exactly 0 and at ties, where they are still smooth: FD uses the fourth-order stencil
/// with h = τ/100 (truncation ≈ (h/τ)⁴/30 = 3e-10 relative, rounding ≈ 1.5·1e-16·|f|/h ≤ 2e-9 for |f| ≤ 100 at
/// τ = 1e-3), so 1e-6 of the gradient's size is a tolerance 500× above both. Piecewise-linear quantities (max,
/// ReLU, hinge) are checked at random continuous points where no kink lies within 2h, h = 1e-6.
module PowerClip.Math.Tests.AutodiffTests

open System
open Expecto
open PowerClip.Spec
open PowerClip.Math.Tests.Generators

/// A quantity under test: its float definition and its generic one at Dual and Tape (the same code).
type private Quantity =
    { Name: string
      Float: float -> float[,] -> ParseTree -> float
      Dual: float -> Dual[,] -> ParseTree -> Dual
      Tape: float -> Tape[,] -> ParseTree -> Tape }

let private dual = Dual.constant
let private tape (x: float) : Tape = num x

let private smooth : Quantity list =
    [ { Name = "NLA-T1"; Float = Nla.t1
        Dual = (fun tau -> Nla.Generic.t1 (dual tau)); Tape = fun tau -> Nla.Generic.t1 (tape tau) }
      { Name = "NLA-T2 (zeta 0.75, lower reading)"; Float = (fun tau -> Nla.t2 tau 0.75 ZetaWeightsLower)
        Dual = (fun tau -> Nla.Generic.t2 (dual tau) (dual 0.75) ZetaWeightsLower)
        Tape = fun tau -> Nla.Generic.t2 (tape tau) (tape 0.75) ZetaWeightsLower }
      { Name = "NLA-T2 (zeta 0.75, linear interpolation)"; Float = (fun tau -> Nla.t2 tau 0.75 LinearInterpolation)
        Dual = (fun tau -> Nla.Generic.t2 (dual tau) (dual 0.75) LinearInterpolation)
        Tape = fun tau -> Nla.Generic.t2 (tape tau) (tape 0.75) LinearInterpolation }
      { Name = "U_tau"; Float = Nla.upper
        Dual = (fun tau -> Nla.Generic.upper (dual tau)); Tape = fun tau -> Nla.Generic.upper (tape tau) }
      { Name = "L_tau"; Float = Nla.lower
        Dual = (fun tau -> Nla.Generic.lower (dual tau)); Tape = fun tau -> Nla.Generic.lower (tape tau) }
      { Name = "LSE-relaxed R2T"; Float = Powerset.r2tLse
        Dual = (fun tau -> Powerset.Generic.r2tLseOver AllSubsets (dual tau))
        Tape = fun tau -> Powerset.Generic.r2tLseOver AllSubsets (tape tau) } ]

let private piecewise : Quantity list =
    [ { Name = "exact R2T"; Float = (fun _ -> Powerset.r2tExact)
        Dual = (fun _ -> Powerset.Generic.r2tExactOver AllSubsets)
        Tape = fun _ -> Powerset.Generic.r2tExactOver AllSubsets }
      { Name = "exact T2R"; Float = (fun _ -> Powerset.t2rExact)
        Dual = (fun _ -> Powerset.Generic.t2rExact); Tape = fun _ -> Powerset.Generic.t2rExact }
      { Name = "ReLU T2R"; Float = (fun _ -> Estimators.t2rRelu)
        Dual = (fun _ -> Estimators.Generic.t2rRelu); Tape = fun _ -> Estimators.Generic.t2rRelu }
      { Name = "delta-method R2T"; Float = Estimators.r2tDelta
        Dual = (fun tau -> Estimators.Generic.r2tDelta (dual tau))
        Tape = fun tau -> Estimators.Generic.r2tDelta (tape tau) } ]

/// Inputs: M ≤ maxRegions, τ cycling through the training regime and a moderate value; every third case on the
/// coarse grid {−1, −½, 0, ½, 1} (S1 = 0 and ties between regions and nodes are common there), one in six with a
/// region of zeros (S1 = 0 in every node) and a duplicated region.
let private inputs (count: int) (maxRegions: int) (coarse: bool) : Case list =
    [ for k in 1 .. count ->
        let c = caseOfSeed maxRegions (3000 + k)
        let rng = Random k
        let s0 = similarities rng c.M c.Tree.LeafCount (coarse && k % 3 = 0)
        if coarse && k % 6 = 0 && c.M >= 3 then
            for l in 0 .. c.Tree.LeafCount - 1 do
                s0[0, l] <- 0.0
                s0[1, l] <- s0[2, l]
        { c with Tau = [| 1e-3; 1e-2; 0.1 |][k % 3]; S0 = s0 } ]

let private forwardGradient (q: Quantity) (c: Case) = Gradient.forward (fun s0 -> q.Dual c.Tau s0 c.Tree) c.S0
let private reverseGradient (q: Quantity) (c: Case) = Gradient.reverse (fun s0 -> q.Tape c.Tau s0 c.Tree) c.S0

let private checkAgainstFd (q: Quantity) (cases: Case list) (step: Case -> float) : unit =
    for c in cases do
        let forward, reverse = forwardGradient q c, reverseGradient q c
        let modes = Gradient.relativeError 1e-12 forward reverse
        Expect.isLessThanOrEqual modes 1e-10 $"{q.Name}: forward vs reverse mode {modes:E2} on {c}"
        let fd = Gradient.finiteDifference (step c) (fun s0 -> q.Float c.Tau s0 c.Tree) c.S0
        let err = Gradient.relativeError 1e-3 reverse fd
        Expect.isLessThanOrEqual err 1e-6 $"{q.Name}: AD vs finite differences {err:E2} on {c}"
        let value = (q.Dual c.Tau (Array2D.map dual c.S0) c.Tree).Value
        Expect.equal value (q.Float c.Tau c.S0 c.Tree) $"{q.Name}: the Dual run computes the float value exactly"

[<Tests>]
let tests =
    testList "math.autodiff" [
        for q in smooth do
            test $"{q.Name}: forward = reverse mode = finite differences (tau 1e-3..0.1, S1 = 0, ties)" {
                let maxRegions = if q.Name = "LSE-relaxed R2T" then 6 else 12
                checkAgainstFd q (inputs 24 maxRegions true) (fun c -> c.Tau / 100.0)
            }
        for q in piecewise do
            test $"{q.Name}: forward = reverse mode = finite differences (random continuous points)" {
                checkAgainstFd q (inputs 12 6 false) (fun _ -> 1e-6)
            }
        test "InfoNCE and the triplet loss: forward = reverse mode = finite differences" {
            for k in 1 .. 12 do
                let rng = Random(2000 + k)
                let n = rng.Next(2, 9)
                let x = Array2D.init n n (fun _ _ -> 4.0 * rng.NextDouble() - 2.0)
                let losses : (string * (float[,] -> float) * (Dual[,] -> Dual) * (Tape[,] -> Tape) * float) list =
                    [ "InfoNCE", Losses.infoNce, Losses.Generic.infoNce, Losses.Generic.infoNce, 1e-3
                      "triplet", Losses.triplet 0.2, Losses.Generic.triplet (dual 0.2),
                      Losses.Generic.triplet (tape 0.2), 1e-6 ]
                for name, f, fDual, fTape, h in losses do
                    let forward, reverse = Gradient.forward fDual x, Gradient.reverse fTape x
                    let modes = Gradient.relativeError 1e-12 forward reverse
                    Expect.isLessThanOrEqual modes 1e-12 $"{name}: modes, {n}x{n} seed {2000 + k}"
                    let err = Gradient.relativeError 1e-3 reverse (Gradient.finiteDifference h f x)
                    Expect.isLessThanOrEqual err 1e-6 $"{name}: AD vs FD {err:E2}, {n}x{n} seed {2000 + k}"
        }
        test "the spec's softplus has derivative 1/2 at 0 under AD; the relu form max(y,0) + log1p(e^-|y|) does not" {
            // Both forms have the same float values; only how their kinks cancel differs. AD takes |.|'(0) = 0
            // (as torch does): (y + |y|)/2 then contributes 1/2, max(y, 0) the derivative of one branch.
            let at0 (f: Dual -> Dual) = (f (Dual.variable 0.0)).Tangent
            let reluForm (y: Dual) = maxOf y (num 0.0) + Numerics.log1p (exp (-(abs y)))
            Expect.equal (at0 Numerics.softplus) 0.5 "softplus'(0) = sigmoid(0)"
            Expect.notEqual (at0 reluForm) 0.5 "the relu form loses the 1/2 (here: 1, the branch max picks)"
            Expect.equal (at0 Numerics.logCosh) 0.0 "log cosh'(0) = tanh(0)"
            Expect.equal (Numerics.softplus 0.0) (reluForm (dual 0.0)).Value "same value"
        }
    ]
