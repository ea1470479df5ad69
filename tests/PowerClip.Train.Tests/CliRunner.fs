/// Runs the powerclip command tree in-process and captures what it prints.
module PowerClip.Train.Tests.CliRunner

open System
open System.IO
open PowerClip.Train

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
