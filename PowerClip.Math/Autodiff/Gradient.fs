namespace PowerClip.Spec

/// The gradient of a scalar function of a matrix (S0, or a batch's score matrix) three ways: forward-mode AD
/// (one Dual pass per entry), reverse-mode AD (one Tape sweep), and central finite differences of the float
/// function. The first two run the spec's own generic code; the third only evaluates it.
module Gradient =

    /// ∂f/∂x[i,j] by forward mode: the tangent of entry (i, j) set to 1, one pass per entry.
    let forward (f: Dual[,] -> Dual) (x: float[,]) : float[,] =
        Array2D.init (Array2D.length1 x) (Array2D.length2 x) (fun i j ->
            let seeded = x |> Array2D.mapi (fun a b v -> if a = i && b = j then Dual.variable v else Dual.constant v)
            (f seeded).Tangent)

    /// ∂f/∂x[i,j] by reverse mode: one recording of f and one reverse sweep.
    let reverse (f: Tape[,] -> Tape) (x: float[,]) : float[,] =
        let inputs = x |> Array2D.map Tape.Variable
        let flat = Array.init inputs.Length (fun k -> inputs[k / Array2D.length2 x, k % Array2D.length2 x])
        let g = Tape.Gradient(f inputs, flat)
        Array2D.init (Array2D.length1 x) (Array2D.length2 x) (fun i j -> g[i * Array2D.length2 x + j])

    /// Fourth-order central difference (−f(x+2h) + 8f(x+h) − 8f(x−h) + f(x−2h)) / 12h in every entry. Its
    /// truncation error is h⁴·f⁽⁵⁾/30: on a function that varies on the scale τ, f⁽⁵⁾ ~ 1/τ⁴, so h must be a
    /// fraction of τ (the callers state theirs); rounding adds about 1.5·ε·|f|/h.
    let finiteDifference (h: float) (f: float[,] -> float) (x: float[,]) : float[,] =
        Array2D.init (Array2D.length1 x) (Array2D.length2 x) (fun i j ->
            let at (d: float) =
                let y = Array2D.copy x
                y[i, j] <- y[i, j] + d
                f y
            (-(at (2.0 * h)) + 8.0 * at h - 8.0 * at (-h) + at (-2.0 * h)) / (12.0 * h))

    /// The entries of a matrix in row-major order.
    let flatten (x: float[,]) : float[] = Array.init x.Length (fun k -> x[k / Array2D.length2 x, k % Array2D.length2 x])

    /// max |a − b| / max(max |a|, floor): the error relative to the gradient's size, with a floor for tiny gradients.
    let relativeError (floor: float) (a: float[,]) (b: float[,]) : float =
        let a, b = flatten a, flatten b
        let scale = a |> Array.map abs |> Array.fold max floor
        (Array.map2 (fun x y -> abs (x - y)) a b |> Array.fold max 0.0) / scale
