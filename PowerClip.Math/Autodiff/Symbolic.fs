namespace PowerClip.Spec

/// The elementary functions an expression may apply.
type Fn =
    | Exp
    | Log
    | Cosh
    | Sinh
    | Tanh

/// Expressions over named variables, enough to state Λ_w, softplus and LSE_τ and derive their derivatives by
/// the textbook rules. Division is a power −1, so cancelling τ against 1/τ is collecting exponents.
type Expr =
    | Num of float
    | Var of string
    | Add of Expr list
    | Mul of Expr list
    | Pow of Expr * int
    | Apply of Fn * Expr

/// Symbolic differentiation, a simplifier that makes the results readable, printing and evaluation.
module Symbolic =

    let rec derivative (x: string) (e: Expr) : Expr =
        match e with
        | Num _ -> Num 0.0
        | Var v -> Num (if v = x then 1.0 else 0.0)
        | Add terms -> Add (List.map (derivative x) terms)
        | Mul factors ->
            Add [ for i in 0 .. factors.Length - 1 ->
                    Mul (factors |> List.mapi (fun j f -> if i = j then derivative x f else f)) ]
        | Pow (b, n) -> Mul [ Num (float n); Pow (b, n - 1); derivative x b ]
        | Apply (Exp, u) -> Mul [ e; derivative x u ]
        | Apply (Log, u) -> Mul [ Pow (u, -1); derivative x u ]
        | Apply (Cosh, u) -> Mul [ Apply (Sinh, u); derivative x u ]
        | Apply (Sinh, u) -> Mul [ Apply (Cosh, u); derivative x u ]
        | Apply (Tanh, u) -> Mul [ Add [ Num 1.0; Mul [ Num -1.0; Pow (e, 2) ] ]; derivative x u ]

    /// A factor as (base, exponent).
    let private asPower (e: Expr) : Expr * int = match e with Pow (b, n) -> b, n | _ -> e, 1

    /// Sums exponents of equal bases, keeping the order of first appearance.
    let private collect (factors: (Expr * int) list) : (Expr * int) list =
        factors
        |> List.fold (fun acc (b, n) ->
            if List.exists (fun (c, _) -> c = b) acc then
                acc |> List.map (fun (c, k) -> if c = b then c, k + n else c, k)
            else acc @ [ b, n ]) []
        |> List.filter (fun (_, n) -> n <> 0)

    /// sinh(u)·cosh(u)^-1 = tanh(u), in the sinh's place.
    let private tanhRule (factors: (Expr * int) list) : (Expr * int) list =
        factors |> List.choose (fun (b, n) ->
            match b, n with
            | Apply (Sinh, u), 1 when List.contains (Apply (Cosh, u), -1) factors -> Some (Apply (Tanh, u), 1)
            | Apply (Cosh, u), -1 when List.contains (Apply (Sinh, u), 1) factors -> None
            | _ -> Some (b, n))

    let rec simplify (e: Expr) : Expr =
        match e with
        | Num _ | Var _ -> e
        | Add terms ->
            let terms = terms |> List.map simplify |> List.collect (function Add inner -> inner | t -> [ t ])
            let constant = terms |> List.sumBy (function Num a -> a | _ -> 0.0)
            let rest = terms |> List.filter (function Num _ -> false | _ -> true)
            match (if constant = 0.0 then rest else Num constant :: rest) with
            | [] -> Num 0.0
            | [ t ] -> t
            | ts -> Add ts
        | Mul factors ->
            let factors = factors |> List.map simplify |> List.collect (function Mul inner -> inner | f -> [ f ])
            let constant = factors |> List.fold (fun acc f -> match f with Num a -> acc * a | _ -> acc) 1.0
            let powers =
                factors |> List.filter (function Num _ -> false | _ -> true) |> List.map asPower |> collect |> tanhRule
            let rest = powers |> List.map (fun (b, n) -> if n = 1 then b else Pow (b, n))
            match constant, rest with
            | 0.0, _ -> Num 0.0
            | c, [] -> Num c
            | 1.0, [ f ] -> f
            | 1.0, fs -> Mul fs
            | c, fs -> Mul (Num c :: fs)
        | Pow (b, n) ->
            match simplify b, n with
            | _, 0 -> Num 1.0
            | b, 1 -> b
            | Num a, n -> Num (a ** float n)
            | Pow (c, m), n -> simplify (Pow (c, m * n))
            | Mul fs, n -> simplify (Mul (fs |> List.map (fun f -> Pow (f, n))))
            | b, n -> Pow (b, n)
        | Apply (f, u) ->
            match f, simplify u with
            | Log, Apply (Exp, v) -> v
            | Exp, Apply (Log, v) -> v
            | f, u -> Apply (f, u)

    let private fnName (f: Fn) : string =
        match f with Exp -> "exp" | Log -> "log" | Cosh -> "cosh" | Sinh -> "sinh" | Tanh -> "tanh"

    /// Infix text: products as numerator / denominator (negative powers), a leading −1 as a minus sign.
    let rec print (e: Expr) : string =
        let atom (e: Expr) = match e with Add _ | Mul _ -> $"({print e})" | _ -> print e
        match e with
        | Num a -> a.ToString("G", System.Globalization.CultureInfo.InvariantCulture)
        | Var v -> v
        | Add terms ->
            terms |> List.mapi (fun i t ->
                let s = print t
                if i = 0 then s elif s.StartsWith "-" then " - " + s.Substring 1 else " + " + s)
            |> String.concat ""
        | Mul factors ->
            let sign, factors = match factors with Num -1.0 :: rest -> "-", rest | fs -> "", fs
            let above = factors |> List.filter (fun f -> snd (asPower f) > 0)
            let below =
                factors |> List.choose (fun f ->
                    match asPower f with
                    | b, n when n < 0 -> Some (Pow (b, -n) |> simplify)
                    | _ -> None)
            let text (fs: Expr list) = fs |> List.map atom |> String.concat " * "
            let numerator = if above.IsEmpty then "1" else text above
            match below with
            | [] -> sign + numerator
            | [ d ] -> $"{sign}{numerator} / {atom d}"
            | ds -> $"{sign}{numerator} / ({text ds})"
        | Pow (b, n) -> $"{atom b}^{n}"
        | Apply (f, u) -> $"{fnName f}({print u})"

    let rec eval (env: Map<string, float>) (e: Expr) : float =
        match e with
        | Num a -> a
        | Var v ->
            match env.TryFind v with
            | Some a -> a
            | None -> raise (System.ArgumentException $"no value for the variable {v}")
        | Add terms -> terms |> List.sumBy (eval env)
        | Mul factors -> factors |> List.fold (fun acc f -> acc * eval env f) 1.0
        | Pow (b, n) -> eval env b ** float n
        | Apply (f, u) ->
            let x = eval env u
            match f with Exp -> exp x | Log -> log x | Cosh -> cosh x | Sinh -> sinh x | Tanh -> tanh x

    /// d/dx, simplified.
    let differentiate (x: string) (e: Expr) : Expr = derivative x e |> simplify

    /// Λ_w(y) = y/2 + w·log cosh(y/2) (Nla.Generic.residualAntiderivative).
    let residualAntiderivative : Expr =
        let half = Mul [ Num 0.5; Var "y" ]
        Add [ half; Mul [ Var "w"; Apply (Log, Apply (Cosh, half)) ] ]

    /// softplus(y) = log(1 + e^y) (Numerics.softplus).
    let softplus : Expr = Apply (Log, Add [ Num 1.0; Apply (Exp, Var "y") ])

    /// LSE_τ(x1..xK) = τ·log Σ_k exp(x_k/τ) (Numerics.lseTau).
    let lseTau (k: int) : Expr =
        Mul [ Var "τ"; Apply (Log, Add [ for i in 1 .. k -> Apply (Exp, Mul [ Var $"x{i}"; Pow (Var "τ", -1) ]) ]) ]
