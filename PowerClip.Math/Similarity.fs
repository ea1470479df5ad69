namespace PowerClip.Spec

module Similarity =

    /// S1[m,B] = Σ_{l∈B} S0[m,l]: region–phrase similarity of region m and node B (M×L -> M×|𝒯|).
    let inline s1 (s0: ^T[,]) (tree: ParseTree) : ^T[,] =
        Validate.tree tree
        Validate.s0Of s0 tree
        Array2D.init (Array2D.length1 s0) tree.Nodes.Length (fun m b ->
            tree.Nodes[b] |> Array.sumBy (fun l -> s0[m, l]))
