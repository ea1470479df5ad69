/// Each notebook is one test: notebooks/run.sh --ci executes it headless and fails on any failing cell.
module PowerClip.Notebooks.Tests.NotebookTests

open System
open System.Diagnostics
open System.IO
open Expecto

/// The repository root: the nearest folder above the test binary that holds PowerClip.sln.
let private repositoryRoot () : string =
    let rec up (dir: DirectoryInfo | null) =
        match dir with
        | null -> failwith $"no PowerClip.sln above {AppContext.BaseDirectory}"
        | d when File.Exists(Path.Combine(d.FullName, "PowerClip.sln")) -> d.FullName
        | d -> up d.Parent
    up (DirectoryInfo AppContext.BaseDirectory)

/// Runs notebooks/run.sh --ci --no-build on one notebook; returns its exit code and combined output.
let private runNotebook (root: string) (notebook: string) : int * string =
    let info = ProcessStartInfo("bash", [ Path.Combine(root, "notebooks", "run.sh"); "--ci"; "--no-build"; notebook ])
    info.WorkingDirectory <- root
    info.RedirectStandardOutput <- true
    info.RedirectStandardError <- true
    use proc =
        match Process.Start info with
        | null -> failwith "could not start bash for notebooks/run.sh"
        | p -> p
    let err = proc.StandardError.ReadToEndAsync()
    let out = proc.StandardOutput.ReadToEnd()
    proc.WaitForExit()
    proc.ExitCode, out + err.Result

[<Tests>]
let notebooks =
    let root = repositoryRoot ()
    let files = Directory.GetFiles(Path.Combine(root, "notebooks"), "*.ipynb") |> Array.sort
    testSequenced
    <| testList "notebooks" [
        // A folder without notebooks is a broken checkout, not a pass.
        test "there are notebooks to run" { Expect.isNonEmpty files "notebooks/*.ipynb" }
        for file in files do
            let name = Path.GetFileNameWithoutExtension(file: string) |> nonNull
            test name {
                let code, output = runNotebook root file
                // Only the PASS line: run.sh's own "N passed, N failed" must not reach tests/run.sh's log,
                // whose closing line of that form is the one CI reads.
                if code = 0 then
                    for line in output.Split '\n' do
                        if line.StartsWith "PASS " then printfn "%s" line
                Expect.equal code 0 $"notebook {name} failed (notebooks/run.sh --ci {name}.ipynb):\n{output}"
            }
    ]
