namespace PowerClip.Spec

/// A caption's tree as the losses see it: LeafCount words (leaves 0..LeafCount-1), and the node set 𝒯
/// (phrases plus root; leaves as nodes only when the caller includes them), each node a sorted array of leaf indices.
type ParseTree = { LeafCount: int; Nodes: int[][] }

/// Checks on the inputs every quantity shares; each failure is an ArgumentException naming the problem.
module Validate =

    let private fail (message: string) : 'a = raise (System.ArgumentException message)

    /// A tree is usable when it has leaves, at least one node, and every node is a non-empty set of
    /// distinct leaf indices in range (order inside a node does not matter).
    let tree (t: ParseTree) : unit =
        if t.LeafCount < 1 then fail $"the tree has {t.LeafCount} leaves; it needs at least one"
        if isNull (box t.Nodes) || t.Nodes.Length = 0 then fail "the tree has no nodes"
        t.Nodes |> Array.iteri (fun b node ->
            if isNull (box node) || node.Length = 0 then fail $"node {b} is empty"
            for l in node do
                if l < 0 || l >= t.LeafCount then
                    fail $"node {b} has leaf index {l}, outside 0..{t.LeafCount - 1}"
            if (Array.distinct node).Length <> node.Length then fail $"node {b} repeats a leaf index")

    /// Raises the ArgumentException that names the problem (public because the generic checks below are inline).
    let reject (message: string) : unit = raise (System.ArgumentException message)

    /// S0 is M×L with M ≥ 1 regions, L equal to the tree's leaf count, and only finite entries (by value, for any
    /// number type of the spec).
    let inline s0Of (s0: ^T[,]) (t: ParseTree) : unit =
        if isNull (box s0) then reject "S0 is missing"
        let m, l = Array2D.length1 s0, Array2D.length2 s0
        if m < 1 then reject "S0 has no regions (rows)"
        if l <> t.LeafCount then reject $"S0 has {l} columns but the tree has {t.LeafCount} leaves"
        for i in 0 .. m - 1 do
            for j in 0 .. l - 1 do
                let v = float s0[i, j]
                if not (System.Double.IsFinite v) then reject $"S0[{i},{j}] is not finite ({v})"

    /// s0Of for float S0 (callable from C#).
    let s0 (s0: float[,]) (t: ParseTree) : unit = s0Of s0 t

    let tau (tau: float) : unit =
        if not (System.Double.IsFinite tau && tau > 0.0) then fail $"tau must be a finite number > 0, got {tau}"

    let zeta (zeta: float) : unit =
        if not (zeta >= 0.0 && zeta <= 1.0) then fail $"zeta must lie in [0, 1], got {zeta}"

    /// A square C×C score matrix with C ≥ 1 and finite entries (losses over a batch of matched pairs).
    let inline square (name: string) (x: ^T[,]) : unit =
        if isNull (box x) then reject $"{name} is missing"
        let r, c = Array2D.length1 x, Array2D.length2 x
        if r < 1 || r <> c then reject $"{name} must be a non-empty square matrix, got {r}x{c}"
        x |> Array2D.iteri (fun i j v ->
            let v = float v
            if not (System.Double.IsFinite v) then reject $"{name}[{i},{j}] is not finite ({v})")
