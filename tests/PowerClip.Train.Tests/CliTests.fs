module PowerClip.Train.Tests.CliTests

open Expecto
open PowerClip.Train.Tests.CliRunner

[<Tests>]
let tests =
    testList "cli" [
        test "--help lists the commands" {
            let r = run [ "--help" ]
            Expect.equal r.ExitCode 0 "help exits 0"
            for c in [ "info"; "demo" ] do
                Expect.stringContains r.Out c $"help lists {c}"
        }
        test "an unknown command is a one-line error with exit code 2" {
            expectOneLineError (run [ "frobnicate" ]) 2 "frobnicate"
        }
        test "an unknown option is a one-line error with exit code 2" {
            expectOneLineError (run [ "info"; "--no-such-option" ]) 2 "--no-such-option"
        }
        test "a bad option value is a one-line error with exit code 2" {
            expectOneLineError (run [ "info"; "--threads"; "many" ]) 2 "many"
        }
        test "an impossible device is a one-line error with exit code 2" {
            expectOneLineError (run [ "info"; "--device"; "tpu:3" ]) 2 "tpu:3"
        }
        test "info prints versions, device, threads and the native-fix status" {
            let r = run [ "info"; "--device"; "cpu"; "--threads"; "1" ]
            Expect.equal r.ExitCode 0 $"info exits 0 (stderr: {r.Err})"
            for key in [ "TorchSharp"; "libtorch"; "device"; "threads"; "native fix" ] do
                Expect.stringContains r.Out key $"info shows {key}"
            Expect.stringContains r.Out "threads            1" "the requested thread count"
            Expect.stringContains r.Out "device             cpu" "the requested device"
        }
        test "demo refuses an impossible budget with a one-line error" {
            expectOneLineError (run [ "demo"; "--steps"; "0"; "--out"; System.IO.Path.GetTempPath() ]) 2 "--steps"
        }
    ]
