module PowerClip.Model.Tests.Main

open Expecto
open TorchSharp
open PowerClip.Model

[<EntryPoint>]
let main argv =
    // Before any tensor: oneMKL fixes its code path at the first matrix product (MklCodePath).
    MklCodePath.Apply() |> ignore
    match Bench.tryRun argv |> Option.orElseWith (fun () -> MklCodePathTests.tryProbe argv) with
    | Some code -> code
    | None ->
        // The tests' tensors are tiny: one intra-op thread is fastest, and on a loaded 2-core machine a
        // second spinning libtorch thread made the 1,000-step memory test 10× slower (measured).
        torch.set_num_threads 1
        Tests.runTestsInAssemblyWithCLIArgs [ CLIArguments.Sequenced ] argv
