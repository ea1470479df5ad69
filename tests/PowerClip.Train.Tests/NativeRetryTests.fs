/// NativeRetry: a native libtorch error (ExternalException) is retried up to twice, anything else propagates at once.
module PowerClip.Train.Tests.NativeRetryTests

open System
open System.Runtime.InteropServices
open Expecto
open PowerClip.Train.Experiments

[<Tests>]
let tests =
    testList "native retry" [
        test "an ExternalException is retried (with the hook before each retry) until the work succeeds" {
            let mutable calls = 0
            let mutable hooks = 0
            let work () =
                calls <- calls + 1
                if calls < 3 then raise (ExternalException("Unknown scalar type.\nException raised from type"))
                42
            let result = NativeRetry.Run("test work", Func<int>(work), Action(fun () -> hooks <- hooks + 1))
            Expect.equal (result, calls, hooks) (42, 3, 2) "two retries, then the value"
        }
        test "a third native failure propagates, and other exceptions are not retried" {
            let mutable calls = 0
            let failing () : int =
                calls <- calls + 1
                raise (ExternalException("Unknown scalar type."))
            Expect.throwsT<ExternalException> (fun () -> NativeRetry.Run("test work", Func<int>(failing)) |> ignore)
                "propagates after the retries"
            Expect.equal calls (1 + NativeRetry.Retries) "tried once and retried Retries times"
            calls <- 0
            let other () : int =
                calls <- calls + 1
                invalidOp "not native"
            Expect.throwsT<InvalidOperationException>
                (fun () -> NativeRetry.Run("test work", Func<int>(other)) |> ignore) "propagates"
            Expect.equal calls 1 "not retried"
        }
    ]
