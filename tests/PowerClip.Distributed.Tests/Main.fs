module PowerClip.Distributed.Tests.Main

open Expecto
open PowerClip.Train.Training.Distributed

[<EntryPoint>]
let main argv =
    // Before any tensor: oneMKL fixes its code path at the first matrix product (PowerClip.Model.MklCodePath).
    PowerClip.Model.MklCodePath.Apply() |> ignore
    match List.ofArray argv with
    | "worker" :: rest ->
        // `--distributed mpi`: one rank of an mpiexec job, where any failure aborts the whole job;
        // `--distributed none`: one plain process (the mode the future `--distributed` flag will offer).
        let rec split before = function
            | "--distributed" :: mode :: after -> mode, List.rev before @ after
            | a :: after -> split (a :: before) after
            | [] -> "none", List.rev before
        match split [] rest with
        | "mpi", args -> MpiLauncher.Run(argv, fun context -> Worker.run context args)
        | "none", args -> Worker.run SingleProcessContext.Instance args
        | other, _ -> failwithf "worker: --distributed must be mpi or none, got %s" other
    | _ -> Tests.runTestsInAssemblyWithCLIArgs [ CLIArguments.Sequenced ] argv
