module PowerClip.Train.Tests.BenchCommandTests

open System
open System.Diagnostics
open System.IO
open Expecto
open PowerClip.Train.Tests.CliRunner

let private tempDir () : string =
    let d = Path.Combine(Path.GetTempPath(), "powerclip-bench-" + Guid.NewGuid().ToString("N"))
    Directory.CreateDirectory d |> ignore
    d

/// Cells of the table row `| batch | objective | …` in the output.
let private row (out: string) (batch: int) (objective: string) : string[] =
    out.Split('\n')
    |> Array.map (fun l -> l.Trim().Trim('|').Split('|') |> Array.map (fun c -> c.Trim()))
    |> Array.tryFind (fun c -> c.Length >= 11 && c[0] = string batch && c[1] = objective)
    |> Option.defaultWith (fun () -> failtest $"no row for batch {batch}, {objective} in:\n{out}")

let private number (s: string) : float = Double.Parse(s, Globalization.CultureInfo.InvariantCulture)

/// Runs a program to completion; exit code and everything it printed.
let private exec (file: string) (args: string) : int * string =
    match Process.Start(ProcessStartInfo(file, args, RedirectStandardOutput = true, RedirectStandardError = true)) with
    | null -> failtest $"could not start {file}"
    | p ->
        use p = p
        let out = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd()
        p.WaitForExit()
        p.ExitCode, out

/// The Python peer runs only where Debian's python3-torch is installed (it is not installed by CI: ~3 min of apt).
let private pythonTorch () : bool =
    File.Exists "/usr/bin/python3" && fst (exec "/usr/bin/python3" "-c \"import torch, numpy\"") = 0

let private repoRoot () : string =
    let rec up (d: DirectoryInfo | null) =
        match d with
        | null -> failtest "repository root (PowerClip.sln) not found"
        | d when File.Exists(Path.Combine(d.FullName, "PowerClip.sln")) -> d.FullName
        | d -> up d.Parent
    up (DirectoryInfo AppContext.BaseDirectory)

[<Tests>]
let tests =
    testList "bench" [
        testCase "powerclip bench on tiny prints a per-phase table for CLIP and PowerCLIP" <| fun () ->
            let r = run [ "bench"; "--preset"; "tiny"; "--batch-sizes"; "8"; "--repeats"; "2"; "--warmup"; "1";
                          "--threads"; "1"; "--device"; "cpu" ]
            Expect.equal r.ExitCode 0 $"exit code (stderr: {r.Err})"
            Expect.stringContains r.Out "matmul peak" "states the measured peak"
            let clip, pc = row r.Out 8 "clip", row r.Out 8 "powerclip"
            // step = the sum of the phase medians; each of the five printed numbers is rounded to 0.05 ms
            for c in [ clip; pc ] do
                let phases = c[2..5] |> Array.map number
                Expect.isTrue (phases |> Array.forall (fun x -> x >= 0.0)) $"phase times are non-negative: {c}"
                Expect.isLessThanOrEqual (abs (Array.sum phases - number c[6])) 0.25 $"step = sum of its phases: {c}"
            Expect.equal clip[7] "1" "CLIP is the reference"
            Expect.isGreaterThan (number pc[7]) 0.0 "PowerCLIP's ratio to CLIP is a positive number"
            Expect.isGreaterThan (number pc[8]) (number clip[8]) "PowerCLIP's step counts more FLOPs (the head)"

        testCase "powerclip bench rejects a bad batch size with one line" <| fun () ->
            let r = run [ "bench"; "--batch-sizes"; "8,x" ]
            Expect.equal r.ExitCode 2 "usage error"
            Expect.stringContains r.Err "--batch-sizes: 'x'" "names the problem"

        testCase "powerclip bench-complexity: exact grows ~2^M, NLAs are faster at M = 12, CSV and HTML \
            written" <| fun () ->
            let dir = tempDir ()
            let r = run [ "bench-complexity"; "--max-exact"; "12"; "--max-nla"; "32"; "--repeats"; "1"; "--threads";
                          "1"; "--device"; "cpu"; "--out"; dir ]
            Expect.equal r.ExitCode 0 $"exit code (stderr: {r.Err})"
            let csv = File.ReadAllLines(Path.Combine(dir, "complexity.csv"))
            Expect.equal (csv |> Array.filter (fun l -> l.StartsWith "exact,") |> Array.length) 11 "exact at M = 2..12"
            let line = r.Out.Split('\n') |> Array.find (fun l -> l.StartsWith "M = 12")
            let words = line.Split(' ')
            let ratio = number (words[5].TrimEnd('×'))
            Expect.isGreaterThan ratio 10.0 $"2^12 subsets against 12 regions: {line}"
            let growth = r.Out.Split('\n') |> Array.find (fun l -> l.StartsWith "exact: time ∝")
            let factor = (growth.Split(' ')[3]).Split('^')
            let base' = number factor[0]
            Expect.isTrue (base' > 1.5 && base' < 2.6) $"exact time per added region grows by ~2: {growth}"
            Expect.stringContains (File.ReadAllText(Path.Combine(dir, "complexity.html"))) "Plotly.newPlot"
                "self-contained plot"

        testCase "PyTorch peer computes the same losses on exported weights and inputs (needs \
            python3-torch)" <| fun () ->
            if not (pythonTorch ()) then skiptest "python3-torch is not installed (apt-get install -y python3-torch \
                                             libopenblas0-pthread)"
            let dir = tempDir ()
            let r = run [ "bench"; "--preset"; "tiny"; "--batch-sizes"; "8"; "--repeats"; "1"; "--warmup"; "0";
                          "--threads"; "1"; "--device"; "cpu"; "--export"; dir ]
            Expect.equal r.ExitCode 0 $"export (stderr: {r.Err})"
            let script = Path.Combine(repoRoot (), "bench", "pytorch", "powerclip_peer.py")
            let code, out = exec "/usr/bin/python3" $"\"{script}\" \"{dir}\" --check --threads 1"
            Expect.equal code 0 $"losses agree within 1e-4:\n{out}"
            Expect.stringContains out "powerclip: pytorch" "the PowerCLIP loss was compared"
    ]
