/// Λ_w', softplus' and the LSE gradient derived symbolically (Symbolic.fs), simplified to readable forms, and
/// three-way agreement: symbolic derivative = the spec's AD (forward and reverse) of its stable numerical
/// definitions = finite differences, including y = 0 where the stable forms have cancelling kinks.
module PowerClip.Math.Tests.SymbolicTests

open System
open Expecto
open PowerClip.Spec

let private close (what: string) (expected: float) (actual: float) =
    Expect.floatClose { absolute = 1e-12; relative = 1e-10 } actual expected what

/// Points where the symbolic forms evaluate without overflow (|y| ≤ 30), 0 included.
let private points : float list = [ 0.0; 1e-9; -1e-9; 0.3; -0.7; 2.0; -5.0; 12.5; -30.0; 30.0 ]

let private centralDifference (f: float -> float) (y: float) : float =
    let h = 1e-4
    (-(f (y + 2.0 * h)) + 8.0 * f (y + h) - 8.0 * f (y - h) + f (y - 2.0 * h)) / (12.0 * h)

[<Tests>]
let tests =
    testList "math.symbolic" [
        test "Lambda_w' = 1/2 + w/2 tanh(y/2), derived and simplified" {
            let d = Symbolic.differentiate "y" Symbolic.residualAntiderivative
            Expect.equal (Symbolic.print d) "0.5 + 0.5 * w * tanh(0.5 * y)" "the antiderivative of ½(1 + w·tanh(y/2))"
            for w in [ 0.0; 0.25; 0.75; 1.0 ] do
                for y in points do
                    let symbolic = Symbolic.eval (Map [ "y", y; "w", w ]) d
                    let forward = (Nla.Generic.residualAntiderivative (Dual.constant w) (Dual.variable y)).Tangent
                    let yTape = Tape.Variable y
                    let reverse = Tape.Gradient(Nla.Generic.residualAntiderivative (num w) yTape, [| yTape |])[0]
                    close $"forward AD, w {w}, y {y}" symbolic forward
                    close $"reverse AD, w {w}, y {y}" symbolic reverse
                    if y <> 0.0 || w = 0.0 then   // FD straddles the kink-free 0 too, but keep its step off tiny |y|
                        Expect.floatClose { absolute = 1e-8; relative = 1e-8 }
                            (centralDifference (Nla.Generic.residualAntiderivative w) y) symbolic $"FD, w {w}, y {y}"
        }
        test "softplus' = exp(y) / (1 + exp(y)), the logistic sigmoid" {
            let d = Symbolic.differentiate "y" Symbolic.softplus
            Expect.equal (Symbolic.print d) "exp(y) / (1 + exp(y))" "softplus' in readable form"
            for y in points do
                let symbolic = Symbolic.eval (Map [ "y", y ]) d
                close $"= sigmoid, y {y}" (1.0 / (1.0 + exp (-y))) symbolic
                close $"forward AD of Numerics.softplus, y {y}" symbolic (Numerics.softplus (Dual.variable y)).Tangent
                let yTape = Tape.Variable y
                close $"reverse AD, y {y}" symbolic (Tape.Gradient(Numerics.softplus yTape, [| yTape |])[0])
                let fd = centralDifference Numerics.softplus y
                Expect.floatClose { absolute = 1e-8; relative = 1e-8 } fd symbolic $"FD, y {y}"
        }
        test "LSE_tau's gradient is the softmax exp(x_k/tau) / sum_j exp(x_j/tau)" {
            let lse = Symbolic.lseTau 3
            let d1 = Symbolic.differentiate "x1" lse
            Expect.equal (Symbolic.print d1) "exp(x1 / τ) / (exp(x1 / τ) + exp(x2 / τ) + exp(x3 / τ))" "τ cancels"
            let rng = Random 5
            for tau in [ 1.0; 0.1; 0.01 ] do
                for _ in 1 .. 5 do
                    let xs = Array.init 3 (fun _ -> 0.2 * rng.NextDouble() - 0.1)
                    let env = Map [ "τ", tau; "x1", xs[0]; "x2", xs[1]; "x3", xs[2] ]
                    let symbolic = Array.init 3 (fun k -> Symbolic.eval env (Symbolic.differentiate $"x{k + 1}" lse))
                    let input = Array.map Tape.Variable xs
                    let reverse = Tape.Gradient(Numerics.lseTau (num tau) input, input)
                    for k in 0 .. 2 do
                        let seeded = Array.init 3 (fun j -> if j = k then Dual.variable xs[j] else Dual.constant xs[j])
                        let forward = (Numerics.lseTau (Dual.constant tau) seeded).Tangent
                        close $"forward AD, tau {tau}, k {k}" symbolic[k] forward
                        close $"reverse AD, tau {tau}, k {k}" symbolic[k] reverse[k]
                    close "the softmax sums to 1" 1.0 (Array.sum symbolic)
                    // At a tie the shifted LSE's max picks one element; the shift's derivative cancels, so AD still
                    // gives the symmetric softmax.
                    let tie = Array.map Tape.Variable [| 0.5; 0.5; 0.1 |]
                    let g = Tape.Gradient(Numerics.lseTau (num tau) tie, tie)
                    close $"tie, tau {tau}" g[0] g[1]
        }
        test "the simplifier cancels and folds" {
            let e = Mul [ Var "a"; Pow (Var "a", -1); Num 2.0; Add [ Num 1.0; Num -1.0; Var "b" ] ]
            Expect.equal (Symbolic.simplify e) (Mul [ Num 2.0; Var "b" ]) "a·a⁻¹ = 1, constants folded"
            Expect.equal (Symbolic.simplify (Apply (Log, Apply (Exp, Var "x")))) (Var "x") "log exp x = x"
            Expect.equal (Symbolic.print (Symbolic.differentiate "x" (Apply (Tanh, Var "x")))) "1 - tanh(x)^2" "tanh'"
            Expect.throws (fun () -> Symbolic.eval Map.empty (Var "x") |> ignore) "an unbound variable is an error"
        }
    ]
