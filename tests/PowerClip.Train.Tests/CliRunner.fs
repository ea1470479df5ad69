/// Runs the powerclip command tree in-process and captures what it prints.
module PowerClip.Train.Tests.CliRunner

open System
open System.IO
open Expecto
open PowerClip.Cli

type CliResult = { ExitCode: int; Out: string; Err: string }

let run (args: string list) : CliResult =
    let out, err = new StringWriter(), new StringWriter()
    let oldOut, oldErr = Console.Out, Console.Error
    Console.SetOut out
    Console.SetError err
    try
        let code = Cli.Run(PowerClipCli.CreateRoot(), List.toArray args)
        { ExitCode = code; Out = out.ToString(); Err = err.ToString() }
    finally
        Console.SetOut oldOut
        Console.SetError oldErr

/// The program's contract for bad input: exit code `code` and one stderr line, `powerclip: error: …`, naming the
/// problem.
let expectOneLineError (r: CliResult) (code: int) (mentions: string) =
    Expect.equal r.ExitCode code $"exit code (stderr: {r.Err})"
    let lines = r.Err.Trim().Split('\n')
    Expect.hasLength lines 1 $"one line on stderr, got: {r.Err}"
    Expect.stringStarts lines[0] "powerclip: error: " "error prefix"
    Expect.stringContains lines[0] mentions "names the problem"
