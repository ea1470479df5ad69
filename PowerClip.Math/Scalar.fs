namespace PowerClip.Spec

/// The number types the specification runs on. Every definition in Numerics, Similarity, Powerset, Nla,
/// Estimators and Losses is written once, `inline` over a number type ^T that has +, −, ·, /, unary −, exp, log,
/// abs, a conversion to float (`float x`, the value used for comparisons) and a conversion from float
/// (`num`). float (and float32) are built in; the automatic differentiation types Dual (forward mode) and
/// Tape (reverse mode) in Autodiff/ are the others, so the spec differentiates its own code.
/// Comparisons (max, min, tests against 0) read the value only: at a tie they pick one branch, and AD returns
/// that branch's derivative (a one-sided one, as autograd does).
type Scalar =
    static member Of (x: float, _: float) : float = x
    static member Of (x: float, _: float32) : float32 = float32 x

    /// A float constant as ^T: found on Scalar for float and float32, on ^T itself for other types (each defines
    /// `static member Of (x: float, _: ^T) : ^T`). Two overloads here keep F# from resolving the call before ^T
    /// is known.
    static member inline Invoke (x: float) : ^T =
        let inline call (_: ^W, witness: ^R) : ^R = ((^W or ^R) : (static member Of : float * ^R -> ^R) (x, witness))
        call (Unchecked.defaultof<Scalar>, Unchecked.defaultof<^T>)

/// Helpers over any number type of the specification.
[<AutoOpen>]
module ScalarOps =

    /// A float constant in the caller's number type.
    let inline num (x: float) : ^T = Scalar.Invoke x

    /// max by value; the first argument wins ties (F#'s max on floats does the same).
    let inline maxOf (a: ^T) (b: ^T) : ^T = if float a < float b then b else a

    /// min by value; the first argument wins ties.
    let inline minOf (a: ^T) (b: ^T) : ^T = if float b < float a then b else a

    /// The largest element by value (the first of equal ones). Requires a non-empty array.
    let inline maxElement (xs: ^T[]) : ^T = Array.reduce maxOf xs
