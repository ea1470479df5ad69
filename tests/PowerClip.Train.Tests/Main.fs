module PowerClip.Train.Tests.Main

open Expecto

[<EntryPoint>]
let main argv =
    // Before any tensor: oneMKL fixes its code path at the first matrix product (PowerClip.Model.MklCodePath).
    PowerClip.Model.MklCodePath.Apply() |> ignore
    Tests.runTestsInAssemblyWithCLIArgs [ CLIArguments.Sequenced ] argv
