namespace PowerClip.Spec

/// Forward-mode automatic differentiation: a number carrying its value and its tangent, the derivative along one
/// input direction. Running a spec definition on Dual with one input's tangent set to 1 gives the derivative
/// with respect to that input (Gradient.forward does one pass per input). Comparisons read Value only.
/// |x|'(0) = 0 (sign(0)), as torch; the spec writes its smooth functions so that this convention is exact
/// (Numerics.softplus).
[<Struct; NoComparison>]
type Dual =
    { Value: float; Tangent: float }

    static member Of (x: float, _: Dual) : Dual = { Value = x; Tangent = 0.0 }
    static member Zero : Dual = { Value = 0.0; Tangent = 0.0 }
    static member One : Dual = { Value = 1.0; Tangent = 0.0 }
    static member op_Explicit (a: Dual) : float = a.Value

    static member (+) (a: Dual, b: Dual) : Dual = { Value = a.Value + b.Value; Tangent = a.Tangent + b.Tangent }
    static member (-) (a: Dual, b: Dual) : Dual = { Value = a.Value - b.Value; Tangent = a.Tangent - b.Tangent }
    static member (~-) (a: Dual) : Dual = { Value = -a.Value; Tangent = -a.Tangent }
    static member (*) (a: Dual, b: Dual) : Dual =
        { Value = a.Value * b.Value; Tangent = a.Tangent * b.Value + a.Value * b.Tangent }
    static member (/) (a: Dual, b: Dual) : Dual =
        { Value = a.Value / b.Value; Tangent = (a.Tangent - a.Value / b.Value * b.Tangent) / b.Value }
    static member DivideByInt (a: Dual, n: int) : Dual = { Value = a.Value / float n; Tangent = a.Tangent / float n }

    static member Exp (a: Dual) : Dual = let e = exp a.Value in { Value = e; Tangent = e * a.Tangent }
    static member Log (a: Dual) : Dual = { Value = log a.Value; Tangent = a.Tangent / a.Value }
    static member Abs (a: Dual) : Dual = { Value = abs a.Value; Tangent = float (sign a.Value) * a.Tangent }
    static member Tanh (a: Dual) : Dual =
        let t = tanh a.Value
        { Value = t; Tangent = (1.0 - t * t) * a.Tangent }

module Dual =

    /// A constant (tangent 0).
    let constant (x: float) : Dual = { Value = x; Tangent = 0.0 }

    /// An input whose tangent is 1: the direction being differentiated.
    let variable (x: float) : Dual = { Value = x; Tangent = 1.0 }
