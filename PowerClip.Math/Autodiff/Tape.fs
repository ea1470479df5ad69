namespace PowerClip.Spec

/// Reverse-mode automatic differentiation: every operation on Tape numbers records its result as a node with
/// its inputs and the local partial derivatives; Tape.gradient then sweeps the recorded graph once from the
/// output back to the inputs (the chain rule in reverse), giving the whole gradient in one pass. Nodes are
/// numbered in creation order, so every input of a node has a smaller number: sweeping numbers downwards visits
/// a node only after everything that used it. Comparisons read Value only; |x|'(0) = 0 as in Dual.
[<Sealed; AllowNullLiteral(false)>]
type Tape private (value: float, inputs: struct (Tape * float)[], id: int64) =
    static let mutable created = 0L

    /// A node computed from inputs with the given partial derivatives ∂node/∂input.
    static member internal Node (value: float, inputs: struct (Tape * float)[]) : Tape =
        Tape(value, inputs, System.Threading.Interlocked.Increment &created)

    member _.Value : float = value
    member _.Inputs : struct (Tape * float)[] = inputs
    member _.Id : int64 = id

    static member Of (x: float, _: Tape) : Tape = Tape.Node(x, [||])
    static member Zero : Tape = Tape.Node(0.0, [||])
    static member One : Tape = Tape.Node(1.0, [||])
    static member op_Explicit (a: Tape) : float = a.Value

    static member (+) (a: Tape, b: Tape) : Tape = Tape.Node(a.Value + b.Value, [| struct (a, 1.0); struct (b, 1.0) |])
    static member (-) (a: Tape, b: Tape) : Tape = Tape.Node(a.Value - b.Value, [| struct (a, 1.0); struct (b, -1.0) |])
    static member (~-) (a: Tape) : Tape = Tape.Node(-a.Value, [| struct (a, -1.0) |])
    static member (*) (a: Tape, b: Tape) : Tape =
        Tape.Node(a.Value * b.Value, [| struct (a, b.Value); struct (b, a.Value) |])
    static member (/) (a: Tape, b: Tape) : Tape =
        let q = a.Value / b.Value
        Tape.Node(q, [| struct (a, 1.0 / b.Value); struct (b, -q / b.Value) |])
    static member DivideByInt (a: Tape, n: int) : Tape = Tape.Node(a.Value / float n, [| struct (a, 1.0 / float n) |])

    static member Exp (a: Tape) : Tape = let e = exp a.Value in Tape.Node(e, [| struct (a, e) |])
    static member Log (a: Tape) : Tape = Tape.Node(log a.Value, [| struct (a, 1.0 / a.Value) |])
    static member Abs (a: Tape) : Tape = Tape.Node(abs a.Value, [| struct (a, float (sign a.Value)) |])
    static member Tanh (a: Tape) : Tape = let t = tanh a.Value in Tape.Node(t, [| struct (a, 1.0 - t * t) |])

    /// A fresh input (a leaf of the graph).
    static member Variable (x: float) : Tape = Tape.Node(x, [||])

    /// ∂output/∂input for each input: one reverse sweep over the nodes reachable from output.
    static member Gradient (output: Tape, inputs: Tape[]) : float[] =
        let reachable = System.Collections.Generic.Dictionary<int64, Tape>()
        let pending = System.Collections.Generic.Stack<Tape>([ output ])
        while pending.Count > 0 do
            let n = pending.Pop()
            if reachable.TryAdd(n.Id, n) then
                for struct (input, _) in n.Inputs do pending.Push input
        let adjoint = System.Collections.Generic.Dictionary<int64, float>()
        adjoint[output.Id] <- 1.0
        let adjointOf (id: int64) = match adjoint.TryGetValue id with | true, v -> v | _ -> 0.0
        for n in reachable.Values |> Seq.sortByDescending (fun n -> n.Id) do
            let a = adjointOf n.Id
            if a <> 0.0 then
                for struct (input, partial) in n.Inputs do adjoint[input.Id] <- adjointOf input.Id + a * partial
        inputs |> Array.map (fun x -> adjointOf x.Id)
