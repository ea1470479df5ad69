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

/// The Python peer runs only where Debian's python3-torch is installed (it is not installed by CI: ~3 min of apt).
let private pythonTorch () : bool =
    File.Exists "/usr/bin/python3"
    && (use p = Process.Start(ProcessStartInfo("/usr/bin/python3", "-c \"import torch, numpy\"", RedirectStandardError = true, RedirectStandardOutput = true))
        p.WaitForExit()
        p.ExitCode = 0)

let private repoRoot () : string =
    let rec up (d: DirectoryInfo) =
        if isNull d then failtest "repository root (PowerClip.sln) not found"
        elif File.Exists(Path.Combine(d.FullName, "PowerClip.sln")) then d.FullName
        else up d.Parent
    up (DirectoryInfo AppContext.BaseDirectory)

[<Tests>]
let tests =
    testList "bench" [
        testCase "powerclip bench on tiny prints a per-phase table for CLIP and PowerCLIP" <| fun () ->
            let r = run [ "bench"; "--preset"; "tiny"; "--batch-sizes"; "8"; "--repeats"; "2"; "--warmup"; "1"; "--threads"; "1"; "--device"; "cpu" ]
            Expect.equal r.ExitCode 0 $"exit code (stderr: {r.Err})"
            Expect.stringContains r.Out "matmul peak" "states the measured peak"
            let clip, pc = row r.Out 8 "clip", row r.Out 8 "powerclip"
            // forward + loss + backward + optimizer = step (rounded to 0.1 ms each; medians per phase, so ≤ the sum's slack)
            for c in [ clip; pc ] do
                let phases = c[2..5] |> Array.map number
                Expect.isTrue (phases |> Array.forall (fun x -> x >= 0.0)) $"phase times are non-negative: {c}"
                Expect.floatClose Accuracy.low (Array.sum phases) (number c[6]) "step = sum of its phases"
            Expect.equal clip[7] "1" "CLIP is the reference"
            Expect.isGreaterThan (number pc[7]) 0.0 "PowerCLIP's ratio to CLIP is a positive number"
            Expect.isGreaterThan (number pc[8]) (number clip[8]) "PowerCLIP's step counts more FLOPs (the head)"

        testCase "powerclip bench rejects a bad batch size with one line" <| fun () ->
            let r = run [ "bench"; "--batch-sizes"; "8,x" ]
            Expect.equal r.ExitCode 2 "usage error"
            Expect.stringContains r.Err "--batch-sizes: 'x'" "names the problem"

        testCase "powerclip bench-complexity: exact grows ~2^M, NLAs are faster at M = 16, CSV and HTML written" <| fun () ->
            let dir = tempDir ()
            let r = run [ "bench-complexity"; "--max-exact"; "16"; "--max-nla"; "32"; "--repeats"; "1"; "--threads"; "1"; "--device"; "cpu"; "--out"; dir ]
            Expect.equal r.ExitCode 0 $"exit code (stderr: {r.Err})"
            let csv = File.ReadAllLines(Path.Combine(dir, "complexity.csv"))
            Expect.equal (csv |> Array.filter (fun l -> l.StartsWith "exact,") |> Array.length) 15 "exact at M = 2..16"
            let line = r.Out.Split('\n') |> Array.find (fun l -> l.StartsWith "M = 16")
            let ratio = number (line.Split(' ')[5].TrimEnd('×'))
            Expect.isGreaterThan ratio 10.0 $"2^16 subsets against 16 regions: {line}"
            let growth = r.Out.Split('\n') |> Array.find (fun l -> l.StartsWith "exact: time ∝")
            let base' = number (growth.Split(' ')[3].Split('^')[0])
            Expect.isTrue (base' > 1.5 && base' < 2.6) $"exact time per added region grows by ~2: {growth}"
            Expect.stringContains (File.ReadAllText(Path.Combine(dir, "complexity.html"))) "Plotly.newPlot" "self-contained plot"

        testCase "PyTorch peer computes the same losses on exported weights and inputs (needs python3-torch)" <| fun () ->
            if not (pythonTorch ()) then skiptest "python3-torch is not installed (apt-get install -y python3-torch libopenblas0-pthread)"
            let dir = tempDir ()
            let r = run [ "bench"; "--preset"; "tiny"; "--batch-sizes"; "8"; "--repeats"; "1"; "--warmup"; "0"; "--threads"; "1"; "--device"; "cpu"; "--export"; dir ]
            Expect.equal r.ExitCode 0 $"export (stderr: {r.Err})"
            let script = Path.Combine(repoRoot (), "bench", "pytorch", "powerclip_peer.py")
            use p = Process.Start(ProcessStartInfo("/usr/bin/python3", $"\"{script}\" \"{dir}\" --check --threads 1", RedirectStandardOutput = true, RedirectStandardError = true))
            let out = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd()
            p.WaitForExit()
            Expect.equal p.ExitCode 0 $"losses agree within 1e-4:\n{out}"
            Expect.stringContains out "powerclip: pytorch" "the PowerCLIP loss was compared"
    ]
