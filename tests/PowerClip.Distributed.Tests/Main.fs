module PowerClip.Distributed.Tests.Main

open Expecto
open PowerClip.Train.Training.Distributed

[<EntryPoint>]
let main argv =
    match List.ofArray argv with
    | "worker" :: rest ->
        // `--distributed mpi`: one rank of an mpiexec job; any failure aborts the whole job.
        let args = rest |> List.filter (fun a -> a <> "--distributed" && a <> "mpi" && a <> "none")
        if List.contains "mpi" rest then MpiLauncher.Run(argv, fun context -> Worker.run context args)
        else Worker.run SingleProcessContext.Instance args
    | _ -> Tests.runTestsInAssemblyWithCLIArgs [ CLIArguments.Sequenced ] argv
