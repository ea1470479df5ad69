/// The score options beyond the paper's default forms against PowerClip.Math, float64, on the training-regime
/// cases of GradientRegimeTests (the first 60: τ 1e-3 and 1e-2, M 1..12, S1 = 0 and ties): the linear ζ reading,
/// the exact ReLU T2R (`--t2r exact-relu`), the Monte Carlo R2T (`--r2t monte-carlo:K`) and R2T over the non-empty
/// subsets (`--r2t-subsets non-empty`). Smooth options are also checked against finite differences; the
/// piecewise-linear ones (ReLU, max over nodes) against the spec's AD only, on the continuous-valued cases (grid
/// cases put ties and zeros exactly on their kinks, where torch's amax splits the gradient among ties and the spec
/// takes one branch: both subgradients, not the same one).
module PowerClip.Model.Tests.ScoreOptionTests

open Expecto
open PowerClip.Spec
open PowerClip.Model
open PowerClip.Model.Tests.TestData
open PowerClip.Model.Tests.GradientRegimeTests

let private some (n: int) = cases.Force() |> List.truncate n
let private continuous (n: int) = some n |> List.filter (fun c -> c.Seed % 2 = 1)
let private k, seed = 16, 7

let private linear (c: RegimeCase) =
    PowerClipLossConfig(Tau = c.Tau, Reading = PowerClip.Model.ZetaReading.LinearInterpolation)

let private nonEmpty (c: RegimeCase) =
    PowerClipLossConfig(Tau = c.Tau, R2TSubsets = PowerClip.Model.SubsetRange.NonEmpty)

let private monteCarlo (c: RegimeCase) (range: PowerClip.Model.SubsetRange) =
    PowerClipLossConfig(Tau = c.Tau, R2T = R2TMethod.MonteCarlo, MonteCarloSamples = k, MonteCarloSeed = seed,
                        R2TSubsets = range)

/// The spec's Monte Carlo R2T on the subsets the Model draws, at Tape numbers.
let private specMonteCarlo (range: PowerClip.Spec.SubsetRange) (s0: Tape[,]) (t: ParseTree) : Tape =
    Estimators.Generic.r2tOnSubsets (Estimators.monteCarloSubsets range k seed (Array2D.length1 s0)) s0 t

let private smooth : Scored list =
    [ { Name = "NlaT2, linear reading (zeta U + (1 - zeta) L)"
        CSharp = (fun c s1 mask -> PowerClipScores.NlaT2(s1, mask, linear c))
        Float = (fun c -> Nla.t2 c.Tau 0.75 LinearInterpolation)
        Tape = fun c -> Nla.Generic.t2 (tape c.Tau) (tape 0.75) LinearInterpolation }
      { Name = "Combine (NlaBoth), linear reading"
        CSharp = (fun c s1 mask -> PowerClipScores.Combine(s1, mask, linear c))
        Float = (fun c s0 t -> (Nla.t1 c.Tau s0 t + Nla.t2 c.Tau 0.75 LinearInterpolation s0 t) / float c.M)
        Tape = fun c s0 t ->
            let t2 = Nla.Generic.t2 (tape c.Tau) (tape 0.75) LinearInterpolation s0 t
            (Nla.Generic.t1 (tape c.Tau) s0 t + t2) / tape (float c.M) }
      { Name = "Combine (NlaBoth), R2T over the non-empty subsets"
        CSharp = (fun c s1 mask -> PowerClipScores.Combine(s1, mask, nonEmpty c))
        Float = fun c s0 t ->
            (Nla.t1 c.Tau s0 t + Nla.t2Over NonEmptySubsets c.Tau 0.75 ZetaWeightsLower s0 t) / float c.M
        Tape = fun c s0 t ->
            let t2 = Nla.Generic.t2 (tape c.Tau) (tape 0.75) ZetaWeightsLower s0 t
            let t2NonEmpty = Nla.Generic.overRange NonEmptySubsets (tape c.Tau) c.M t t2
            (Nla.Generic.t1 (tape c.Tau) s0 t + t2NonEmpty) / tape (float c.M) } ]

let private piecewise : Scored list =
    [ { Name = "T2R exact-relu"
        CSharp = fun c s1 mask ->
            PowerClipScores.T2R(s1, mask, PowerClipLossConfig(Tau = c.Tau, T2R = T2RMethod.ExactRelu))
        Float = (fun _ -> Estimators.t2rRelu); Tape = fun _ -> Estimators.Generic.t2rRelu }
      { Name = $"R2T monte-carlo:{k}, all subsets"
        CSharp = (fun c s1 mask -> PowerClipScores.R2T(s1, mask, monteCarlo c PowerClip.Model.SubsetRange.All))
        Float = (fun _ s0 t -> (Estimators.r2tMonteCarlo k seed 0.95 s0 t).Estimate)
        Tape = fun _ -> specMonteCarlo AllSubsets }
      { Name = $"R2T monte-carlo:{k}, non-empty subsets"
        CSharp = (fun c s1 mask -> PowerClipScores.R2T(s1, mask, monteCarlo c PowerClip.Model.SubsetRange.NonEmpty))
        Float = (fun _ s0 t -> (Estimators.r2tMonteCarloOver NonEmptySubsets k seed 0.95 s0 t).Estimate)
        Tape = fun _ -> specMonteCarlo NonEmptySubsets }
      { Name = "exact R2T, non-empty subsets (M <= 8)"
        CSharp = (fun _ s1 mask -> PowerClipScores.ExactR2T(s1, mask, 16, PowerClip.Model.SubsetRange.NonEmpty))
        Float = (fun _ -> Powerset.r2tExactOver NonEmptySubsets)
        Tape = fun _ -> Powerset.Generic.r2tExactOver NonEmptySubsets } ]

[<Tests>]
let tests =
    testSequenced <| testList "score options against PowerClip.Math" [
        for f in smooth do
            test $"{f.Name}: values, gradients vs FD and vs the spec's AD (60 cases)" {
                for c in some 60 do checkFunction FdAndAd f c
            }
        for f in piecewise do
            test $"{f.Name}: values on all 60 cases, gradients vs the spec's AD on the continuous ones" {
                for c in some 60 do
                    let check = if c.Seed % 2 = 1 then AdOnly else ValuesOnly
                    if not (f.Name.StartsWith "exact" && c.M > 8) then checkFunction check f c
            }
        test "Monte Carlo subsets: the Model draws what the spec draws" {
            let ranges =
                [ PowerClip.Model.SubsetRange.All, AllSubsets; PowerClip.Model.SubsetRange.NonEmpty, NonEmptySubsets ]
            for range, specRange in ranges do
                for m in [ 1; 3; 10 ] do
                    let model = PowerClipScores.MonteCarloSubsets(m, 40, 123, range)
                    Expect.equal model (Estimators.monteCarloSubsets specRange 40 123 m) $"{range}, M = {m}"
        }
        test "the option tests see ties only where they should: piecewise checks run on continuous cases too" {
            Expect.isGreaterThan (continuous 60).Length 20 "enough continuous cases"
        }
    ]
