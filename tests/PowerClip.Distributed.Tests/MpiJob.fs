/// Launches this test executable as a K-rank MPI job and captures what every rank printed.
module PowerClip.Distributed.Tests.MpiJob

open System
open System.Diagnostics
open System.IO
open System.Text

type JobResult = { ExitCode: int; Output: string; EndedUtc: DateTime }

type private Marker = class end

let repoRoot : string =
    let rec up (dir: string) =
        if File.Exists(Path.Combine(dir, "PowerClip.sln")) then dir
        else
            match Path.GetDirectoryName dir with
            | null -> failwith "cannot find PowerClip.sln above the test executable"
            | parent -> up parent
    up AppContext.BaseDirectory

/// MPICH's launcher (POWERCLIP_MPIEXEC overrides), installed by the project's own script when missing.
let mpiexec : Lazy<string> =
    lazy (
        match Environment.GetEnvironmentVariable "POWERCLIP_MPIEXEC" with
        | null | "" ->
            let p =
                match Process.Start(ProcessStartInfo("bash", [ Path.Combine(repoRoot, "scripts", "ensure-tools.sh");
                                                               "mpiexec.mpich=mpich" ])) with
                | null -> failwith "cannot start bash to run scripts/ensure-tools.sh"
                | p -> p
            p.WaitForExit()
            if p.ExitCode <> 0 then failwith "scripts/ensure-tools.sh could not install MPICH (mpiexec.mpich)"
            "mpiexec.mpich"
        | chosen -> chosen)

let private start (file: string) (args: string list) (environment: (string * string) list) (timeout: TimeSpan)
                  : JobResult =
    let info =
        ProcessStartInfo(file, args,
                         RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false)
    for k, v in environment do info.Environment[k] <- v
    let output = StringBuilder()
    let append (e: DataReceivedEventArgs) =
        match e.Data with null -> () | line -> lock output (fun () -> output.AppendLine line |> ignore)
    use p = new Process(StartInfo = info)
    p.OutputDataReceived.Add append
    p.ErrorDataReceived.Add append
    p.Start() |> ignore
    p.BeginOutputReadLine()
    p.BeginErrorReadLine()
    if not (p.WaitForExit timeout) then
        p.Kill true
        p.WaitForExit()
        failwithf "%s did not finish within %O; output:\n%s" file timeout (lock output (fun () -> output.ToString()))
    p.WaitForExit() // drains the redirected streams
    { ExitCode = p.ExitCode; Output = lock output (fun () -> output.ToString()); EndedUtc = DateTime.UtcNow }

let private dll () = typeof<Marker>.Assembly.Location

/// Runs `mpiexec -n ranks dotnet <this dll> worker <args> --distributed mpi`; kills the job after timeout.
let run (ranks: int) (workerArgs: string list) (timeout: TimeSpan) : JobResult =
    start (mpiexec.Force()) ([ "-n"; string ranks; "dotnet"; dll (); "worker" ] @ workerArgs @ [ "--distributed";
                                                                                                 "mpi" ]) [] timeout

/// Runs one MPI rank without mpiexec (a singleton job), with extra environment variables.
let runAlone (environment: (string * string) list) (workerArgs: string list) (timeout: TimeSpan) : JobResult =
    start "dotnet" ([ dll (); "worker" ] @ workerArgs @ [ "--distributed"; "mpi" ]) environment timeout

/// Runs `mpiexec -n ranks dotnet powerclip.dll <args>`: the program itself, as a user launches it.
let runProgram (ranks: int) (args: string list) (timeout: TimeSpan) : JobResult =
    let program = Path.Combine(Path.GetDirectoryName(dll ()) |> nonNull, "powerclip.dll")
    start (mpiexec.Force()) ([ "-n"; string ranks; "dotnet"; program ] @ args) [] timeout
