/// The lemmas and theorems of proofs/ as FsCheck properties (200 random cases each).
module PowerClip.Math.Tests.TheoremProperties

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open PowerClip.Spec
open PowerClip.Math.Tests.Generators

let private prop (name: string) (body: Case -> bool) : Test =
    testPropertyWithConfig config name (Prop.forAll (cases 12) body)

let private within (lo: float) (x: float) (hi: float) : bool = lo - slack <= x && x <= hi + slack

let private log2 = log 2.0

[<Tests>]
let tests =
    testList "math.theorems" [
        testPropertyWithConfig config "Lemma A.1/B.2: max <= LSE_tau <= max + tau log K"
            (Prop.forAll (Gen.choose (0, Int32.MaxValue) |> Arb.fromGen) (fun seed ->
                let rng = Random seed
                let xs = Array.init (rng.Next(1, 31)) (fun _ -> 30.0 * rng.NextDouble() - 15.0)
                let tau = 10.0 ** (-3.0 * rng.NextDouble())
                within (Array.max xs) (Numerics.lseTau tau xs) (Array.max xs + tau * log (float xs.Length))))

        testPropertyWithConfig config "Lemma B.1: sum over subsets of products = prod (1 + x_m)"
            (Prop.forAll (Gen.choose (0, Int32.MaxValue) |> Arb.fromGen) (fun seed ->
                let rng = Random seed
                let xs = Array.init (rng.Next(0, 13)) (fun _ -> 4.0 * rng.NextDouble() - 2.0)
                let scale = xs |> Array.fold (fun acc x -> acc * (1.0 + abs x)) 1.0
                abs (Powerset.sumOfSubsetProducts xs - Array.fold (fun acc x -> acc * (1.0 + x)) 1.0 xs)
                <= 1e-12 * scale))

        prop "Lemma B.1 inside U_tau: U_tau = tau log sum_B E_A exp(Q[A,B]/tau), the enumerated Jensen bound" (fun c ->
            let s1 = Similarity.s1 c.S0 c.Tree
            let exponents =
                [| for mask in 0 .. (1 <<< c.M) - 1 do
                     for b in 0 .. c.T - 1 ->
                         (seq { for m in 0 .. c.M - 1 do if mask &&& (1 <<< m) <> 0 then yield s1[m, b] }
                          |> Seq.sum) / c.Tau |]
            let enumerated = c.Tau * (Numerics.logSumExp exponents - float c.M * log2)
            abs (Nla.upper c.Tau c.S0 c.Tree - enumerated) <= slack)

        prop "ReLU identity: exact T2R by enumeration = mean_B sum_m relu(S1)" (fun c ->
            abs (Powerset.t2rExact c.S0 c.Tree - Estimators.t2rRelu c.S0 c.Tree) <= slack)

        prop "Theorem 1: 0 <= NLA-T1 - T2R <= M tau log 2" (fun c ->
            let gap = Nla.t1 c.Tau c.S0 c.Tree - Powerset.t2rExact c.S0 c.Tree
            within 0.0 gap (float c.M * c.Tau * log2))

        prop "Lemma B.2 on R2T: Q-> <= LSE-relaxed R2T <= Q-> + tau log |T|" (fun c ->
            let exact = Powerset.r2tExact c.S0 c.Tree
            within exact (Powerset.r2tLse c.Tau c.S0 c.Tree) (exact + c.Tau * log (float c.T)))

        prop "Bounds: L_tau <= LSE-relaxed R2T <= U_tau" (fun c ->
            within (Nla.lower c.Tau c.S0 c.Tree) (Powerset.r2tLse c.Tau c.S0 c.Tree) (Nla.upper c.Tau c.S0 c.Tree))

        prop "Theorem 2: NLA-T2 is non-decreasing in the log cosh weight, and the readings are mirror images" (fun c ->
            let rng = Random c.Seed
            let z1, z2 = let a, b = rng.NextDouble(), rng.NextDouble() in min a b, max a b
            let t2 z r = Nla.t2 c.Tau z r c.S0 c.Tree
            t2 z1 ZetaWeightsLogCosh <= t2 z2 ZetaWeightsLogCosh + slack
            && t2 z1 ZetaWeightsLower + slack >= t2 z2 ZetaWeightsLower
            && abs (t2 z1 ZetaWeightsLogCosh - t2 (1.0 - z1) ZetaWeightsLower) <= slack)

        prop "Theorem 2: NLA-T2 is Lipschitz in zeta with constant max_B sum_m |S1|/2" (fun c ->
            let rng = Random c.Seed
            let z1, z2 = rng.NextDouble(), rng.NextDouble()
            let s1 = Similarity.s1 c.S0 c.Tree
            let lipschitz = Array.init c.T (fun b -> Array.sumBy abs s1[*, b] / 2.0) |> Array.max
            let t2 z = Nla.t2 c.Tau z ZetaWeightsLogCosh c.S0 c.Tree
            abs (t2 z1 - t2 z2) <= lipschitz * abs (z1 - z2) + slack)

        prop "Theorem 2: NLA-T2 is convex in the log cosh weight (an LSE of affine functions of w)" (fun c ->
            let rng = Random c.Seed
            let w1, w2 = rng.NextDouble(), rng.NextDouble()
            let t2 w = Nla.t2 c.Tau w ZetaWeightsLogCosh c.S0 c.Tree
            t2 (0.5 * (w1 + w2)) <= 0.5 * (t2 w1 + t2 w2) + slack)

        prop "Theorem 2: some zeta* in [0,1] gives NLA-T2 = LSE-relaxed R2T, within tau log |T| of Q->" (fun c ->
            let relaxed = Powerset.r2tLse c.Tau c.S0 c.Tree
            let exact = Powerset.r2tExact c.S0 c.Tree
            [ ZetaWeightsLogCosh; ZetaWeightsLower ] |> List.forall (fun reading ->
                match Nla.zetaFor c.Tau reading relaxed c.S0 c.Tree with
                | None -> false
                | Some z ->
                    let t2 = Nla.t2 c.Tau z reading c.S0 c.Tree
                    0.0 <= z && z <= 1.0 && abs (t2 - relaxed) <= 1e-8
                        && within exact t2 (exact + c.Tau * log (float c.T) + 1e-8)))

        prop "tau -> 0: U, L and NLA-T2 approach max_B sum_m Lambda0(S1) within [-w M tau log 2, tau log |T|]" (fun c ->
            // Λ0_w(x) = x/2 + w|x|/2, the τ → 0 limit of τΛ_w(x/τ); w = 1 is Σ relu (U), w = 0 is Σ x/2 (L).
            let s1 = Similarity.s1 c.S0 c.Tree
            let limit w =
                Array.init c.T (fun b -> Array.sumBy (fun x -> 0.5 * x + 0.5 * w * abs x) s1[*, b]) |> Array.max
            let ok w v = within (limit w - w * float c.M * c.Tau * log2) v (limit w + c.Tau * log (float c.T))
            let w = Random(c.Seed).NextDouble()
            ok 1.0 (Nla.upper c.Tau c.S0 c.Tree) && ok 0.0 (Nla.lower c.Tau c.S0 c.Tree)
            && ok w (Nla.t2 c.Tau w ZetaWeightsLogCosh c.S0 c.Tree))

        prop "tau -> 0: at tau = 1e-9 NLA-T1 equals T2R and the relaxed R2T equals Q-> to 1e-7" (fun c ->
            let tau = 1e-9
            abs (Nla.t1 tau c.S0 c.Tree - Powerset.t2rExact c.S0 c.Tree) <= 1e-7
            && abs (Powerset.r2tLse tau c.S0 c.Tree - Powerset.r2tExact c.S0 c.Tree) <= 1e-7)
    ]
