/// Gradients with respect to S0: TorchSharp float64 autograd on tensor re-implementations, against central
/// finite differences of the F# definitions (DiffSharp is not obtainable; TorchSharp is the AD engine).
/// Smooth quantities are checked at random points. Piecewise-linear ones (max, ReLU, hinge) are differentiable
/// except on a measure-zero set of ties and zeros; they are checked at random continuous points, where no kink
/// lies within the finite-difference step, so both sides must agree with the local linear piece.
module PowerClip.Math.Tests.AutodiffTests

open System
open Expecto
open TorchSharp
open PowerClip.Spec
open PowerClip.Math.Tests.Generators

type private T = torch.Tensor

let private ofMatrix (x: float[,]) (grad: bool) : T =
    torch.from_array(x).to_type(torch.float64).requires_grad_(grad)

/// Leaf×node 0/1 membership, so S1 = S0 · membership.
let private membership (tree: ParseTree) : T =
    ofMatrix (Array2D.init tree.LeafCount tree.Nodes.Length (fun l b -> if Array.contains l tree.Nodes[b] then 1.0 else 0.0)) false

/// All 2^M subsets as rows of a 0/1 matrix, so Q = subsets · S1.
let private subsets (m: int) : T =
    ofMatrix (Array2D.init (1 <<< m) m (fun a r -> if a &&& (1 <<< r) <> 0 then 1.0 else 0.0)) false

let private softplusT (y: T) : T = torch.nn.functional.relu y + torch.log1p(torch.exp(-y.abs()))
let private logCoshT (y: T) : T = y.abs() + torch.log1p(torch.exp(-2.0 * y.abs())) - log 2.0
let private s1T (s0: T) (tree: ParseTree) : T = s0.matmul(membership tree)
let private qT (s0: T) (tree: ParseTree) : T = (subsets (int (s0.shape[0]))).matmul(s1T s0 tree)

let private aggregateT (tau: float) (w: float) (s0: T) (tree: ParseTree) : T =
    let y = s1T s0 tree / tau
    tau * torch.logsumexp((0.5 * y + w * logCoshT (0.5 * y)).sum(0L), 0L)

let private t1T (tau: float) (s0: T) (tree: ParseTree) : T = (tau * softplusT (s1T s0 tree / tau)).sum(0L).mean()
let private r2tLseT (tau: float) (s0: T) tree = (tau * torch.logsumexp(qT s0 tree / tau, 1L)).mean()
let private r2tExactT (s0: T) tree = (qT s0 tree).amax([| 1L |]).mean()
let private t2rExactT (s0: T) tree = (qT s0 tree).amax([| 0L |]).mean()
let private t2rReluT (s0: T) tree = torch.nn.functional.relu(s1T s0 tree).sum(0L).mean()

let private r2tDeltaT (tau: float) (s0: T) (tree: ParseTree) : T =
    let s1 = s1T s0 tree
    let mu = 0.5 * s1.sum(0L)
    let p = torch.softmax(mu / tau, 0)
    let mean = (s1 * p).sum(1L, keepdim = true)
    let correction = (p * (s1 - mean).square()).sum() / (8.0 * tau)
    torch.minimum(tau * torch.logsumexp(mu / tau, 0L) + correction, aggregateT tau 1.0 s0 tree)

let private infoNceT (x: T) : T =
    let diag = x.diagonal()
    0.5 * ((torch.logsumexp(x, 1L) - diag).mean() + (torch.logsumexp(x, 0L) - diag).mean())

let private tripletT (delta: float) (x: T) : T =
    let n = x.shape[0]
    let hardest = x.masked_fill(torch.eye(int n, dtype = torch.ScalarType.Bool), Double.NegativeInfinity).amax([| 1L |])
    torch.nn.functional.relu(hardest - x.diagonal() + delta).mean()

let private autogradOf (f: T -> T) (x: float[,]) : float[] =
    use scope = torch.NewDisposeScope()
    let t = ofMatrix x true
    (f t).backward()
    (nonNull t.grad).data<double>().ToArray()

/// Fourth-order central difference: (−f(x+2h) + 8f(x+h) − 8f(x−h) + f(x−2h)) / 12h.
let private finiteDifferences (f: float[,] -> float) (x: float[,]) (h: float) : float[] =
    let cols = Array2D.length2 x
    Array.init x.Length (fun k ->
        let at (d: float) =
            let y = Array2D.copy x
            y[k / cols, k % cols] <- y[k / cols, k % cols] + d
            f y
        (-(at (2.0 * h)) + 8.0 * at h - 8.0 * at (-h) + at (-2.0 * h)) / (12.0 * h))

/// ‖autograd − FD‖∞ / ‖autograd‖∞.
let private relativeError (a: float[]) (b: float[]) : float =
    let scale = a |> Array.map abs |> Array.max
    (Array.map2 (fun x y -> abs (x - y)) a b |> Array.max) / max scale 1e-300

let private casesFor (count: int) : Case list =
    [ for k in 1 .. count ->
        let c = caseOfSeed 6 (1000 + k)
        // Moderate τ: the FD truncation error grows like τ^-4; the AD engine itself is τ-independent.
        { c with Tau = [| 0.5; 0.1; 0.03 |][k % 3]; S0 = similarities (Random k) c.M c.Tree.LeafCount false } ]

/// Smooth quantities use h = τ/200 (fourth-order stencil); piecewise-linear ones h = 1e-6, small enough that
/// no kink of a random continuous input lies within 2h, where any h is exact on the linear piece.
let private smoothStep (c: Case) : float = c.Tau / 200.0
let private piecewiseStep (_: Case) : float = 1e-6

let private gradientCheck (name: string) (step: Case -> float) (f: Case -> float[,] -> ParseTree -> float) (fT: Case -> T -> T) : Test =
    test name {
        for c in casesFor 12 do
            let ad = autogradOf (fT c) c.S0
            let fd = finiteDifferences (fun s0 -> f c s0 c.Tree) c.S0 (step c)
            let err = relativeError ad fd
            Expect.isLessThanOrEqual err 1e-6 $"relative gradient error {err:E2} on {c}"
    }

let private lossCheck (name: string) (h: float) (f: float[,] -> float) (fT: T -> T) : Test =
    test name {
        for k in 1 .. 12 do
            let rng = Random(2000 + k)
            let n = rng.Next(2, 7)
            let x = Array2D.init n n (fun _ _ -> 4.0 * rng.NextDouble() - 2.0)
            let err = relativeError (autogradOf fT x) (finiteDifferences f x h)
            Expect.isLessThanOrEqual err 1e-6 $"relative gradient error {err:E2} on {n}x{n} seed {2000 + k}"
    }

[<Tests>]
let tests =
    testSequenced <| testList "math.autodiff" [
        test "the torch re-implementations compute the same values as the F# definitions" {
            use scope = torch.NewDisposeScope()
            for c in casesFor 6 do
                let t = ofMatrix c.S0 false
                let pairs =
                    [ Nla.t1 c.Tau c.S0 c.Tree, t1T c.Tau t c.Tree
                      Nla.t2 c.Tau 0.75 ZetaWeightsLower c.S0 c.Tree, aggregateT c.Tau 0.25 t c.Tree
                      Powerset.r2tLse c.Tau c.S0 c.Tree, r2tLseT c.Tau t c.Tree
                      Powerset.r2tExact c.S0 c.Tree, r2tExactT t c.Tree
                      Powerset.t2rExact c.S0 c.Tree, t2rExactT t c.Tree
                      Estimators.r2tDelta c.Tau c.S0 c.Tree, r2tDeltaT c.Tau t c.Tree ]
                for fs, tt in pairs do
                    Expect.floatClose Accuracy.veryHigh (tt.item<double>()) fs $"value on {c}"
        }
        test "pitfall for tensor code: the stable softplus form has autograd gradient 0 at exactly 0, torch's softplus 1/2" {
            // relu(y) + log1p(e^-|y|) takes relu'(0) = |.|'(0) = 0, so a masked or zero S1 gets the wrong gradient;
            // the stable log cosh form is fine (its true derivative tanh(0) is 0).
            use scope = torch.NewDisposeScope()
            let gradAtZero (f: T -> T) =
                let y = torch.zeros([| 1L |], dtype = torch.float64).requires_grad_(true)
                (f y).sum().backward()
                (nonNull y.grad).item<double>()
            Expect.equal (gradAtZero softplusT) 0.0 "stable form: 0, not sigmoid(0)"
            Expect.equal (gradAtZero (fun y -> torch.nn.functional.softplus y)) 0.5 "torch softplus: sigmoid(0) = 1/2"
            Expect.equal (gradAtZero logCoshT) 0.0 "log cosh form: tanh(0) = 0"
        }
        // Smooth everywhere (softplus, log cosh, log-sum-exp are C∞).
        gradientCheck "NLA-T1" smoothStep (fun c -> Nla.t1 c.Tau) (fun c s0 -> t1T c.Tau s0 c.Tree)
        gradientCheck "NLA-T2 (zeta = 0.75, lower reading)" smoothStep (fun c -> Nla.t2 c.Tau 0.75 ZetaWeightsLower) (fun c s0 -> aggregateT c.Tau 0.25 s0 c.Tree)
        gradientCheck "U_tau" smoothStep (fun c -> Nla.upper c.Tau) (fun c s0 -> aggregateT c.Tau 1.0 s0 c.Tree)
        gradientCheck "L_tau" smoothStep (fun c -> Nla.lower c.Tau) (fun c s0 -> aggregateT c.Tau 0.0 s0 c.Tree)
        gradientCheck "LSE-relaxed R2T" smoothStep (fun c -> Powerset.r2tLse c.Tau) (fun c s0 -> r2tLseT c.Tau s0 c.Tree)
        lossCheck "InfoNCE" 1e-3 Losses.infoNce infoNceT
        // Piecewise: max over nodes / subsets, ReLU, the U_τ cap of the delta method, the hinge and hardest negative.
        gradientCheck "exact R2T (away from ties in max_B)" piecewiseStep (fun _ -> Powerset.r2tExact) (fun c s0 -> r2tExactT s0 c.Tree)
        gradientCheck "exact T2R (away from S1 = 0)" piecewiseStep (fun _ -> Powerset.t2rExact) (fun c s0 -> t2rExactT s0 c.Tree)
        gradientCheck "ReLU T2R (away from S1 = 0)" piecewiseStep (fun _ -> Estimators.t2rRelu) (fun c s0 -> t2rReluT s0 c.Tree)
        gradientCheck "delta-method R2T (away from the U_tau cap switching)" piecewiseStep (fun c -> Estimators.r2tDelta c.Tau) (fun c s0 -> r2tDeltaT c.Tau s0 c.Tree)
        lossCheck "triplet (away from hinge and hardest-negative ties)" 1e-6 (Losses.triplet 0.2) (tripletT 0.2)
    ]
