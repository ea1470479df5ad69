/// Parameters and gradients of a module as float64 arrays, written by a rank and read by the test.
module PowerClip.Distributed.Tests.Snapshot

open System.IO
open TorchSharp

type Entry = { Name: string; Value: float[]; Grad: float[] }

let private toArray (t: torch.Tensor) : float[] =
    t.detach().cpu().to_type(torch.float64).contiguous().data<float>().ToArray()

let take (m: torch.nn.Module) : Entry list =
    [ for struct (name, p) in m.named_parameters() ->
        let grad = match p.grad with null -> [||] | g -> toArray g
        { Name = name; Value = toArray p; Grad = grad } ]

let save (path: string) (entries: Entry list) : unit =
    use w = new BinaryWriter(File.Create path)
    w.Write(List.length entries)
    for e in entries do
        w.Write e.Name
        for xs in [ e.Value; e.Grad ] do
            w.Write xs.Length
            for x in xs do w.Write x

let load (path: string) : Entry list =
    use r = new BinaryReader(File.OpenRead path)
    let readArray () = Array.init (r.ReadInt32()) (fun _ -> r.ReadDouble())
    List.init (r.ReadInt32()) (fun _ ->
        let name = r.ReadString()
        let value = readArray ()
        { Name = name; Value = value; Grad = readArray () })

/// Largest absolute difference of values and of gradients, entry by entry (same names in the same order).
let maxDiff (a: Entry list) (b: Entry list) : float * float =
    if List.map _.Name a <> List.map _.Name b then failwithf "different parameters: %A vs \
                                                       %A" (List.map _.Name a) (List.map _.Name b)
    let diff (x: float[]) (y: float[]) =
        if x.Length <> y.Length then infinity else Array.fold2 (fun m u v -> max m (abs (u - v))) 0.0 x y
    List.fold2 (fun (dv, dg) x y -> max dv (diff x.Value y.Value), max dg (diff x.Grad y.Grad)) (0.0, 0.0) a b
