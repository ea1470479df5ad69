module PowerClip.Model.Tests.NativeRuntimeTests

open System
open System.IO
open Expecto
open TorchSharp
open PowerClip.Model

let private nativeDir = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native")

/// A seeded forward/backward/AdamW loop on a tiny MLP, end to end through the native stack: the losses
/// before the first and after the last step.
let private smokeRun (steps: int) (seed: int) : float * float =
    torch.manual_seed (int64 seed) |> ignore
    use model = torch.nn.Sequential(torch.nn.Linear(8L, 32L), torch.nn.GELU(), torch.nn.Linear(32L, 1L))
    use optimizer = torch.optim.AdamW(model.parameters(), lr = 1e-2)
    use x = torch.randn(64L, 8L)
    use y = x.sum(1L, keepdim = true).sin()
    let loss () = torch.nn.functional.mse_loss(model.forward x, y)
    let value () =
        use scope = torch.NewDisposeScope()
        float (loss().item<float32>())
    let first = value ()
    for _ in 1 .. steps do
        use scope = torch.NewDisposeScope()
        optimizer.zero_grad()
        loss().backward()
        optimizer.step() |> ignore
    first, value ()

[<Tests>]
let tests =
    testList "native runtime" [
        test "libtorch loads, or the failure names its cause" {
            // EnsureNativeLoaded turns TorchSharp's opaque TypeInitializationException into a message
            // naming GLIBCXX / the native-fix status; Expecto reports that message if this throws.
            TorchRuntime.EnsureNativeLoaded()
        }

        test "a tensor operation and a backward pass run in float64" {
            use scope = torch.NewDisposeScope()
            let x = torch.tensor([| 1.0; 2.0; 3.0 |], dtype = torch.float64).requires_grad_(true)
            let y = (x * x).sum()
            y.backward()
            Expect.equal (y.item<double>()) 14.0 "sum of squares"
            Expect.sequenceEqual ((nonNull x.grad).data<double>().ToArray()) [| 2.0; 4.0; 6.0 |] "d/dx sum x^2 = 2x"
        }

        test "the build output records what the native fix did" {
            if OperatingSystem.IsLinux() then
                let status = TorchRuntime.NativeFixStatus
                Expect.isTrue
                    (status.StartsWith "applied:" || status.StartsWith "skipped:" || status.StartsWith "not-needed:")
                    $"native fix status should be applied/skipped/not-needed, got: {status}"
                if status.StartsWith "applied:" then
                    Expect.isTrue (File.Exists(Path.Combine(nativeDir, "libpowerclip_iosinit.so")))
                        "the shim ships next to libLibTorchSharp.so"
        }

        test "the patched library no longer hard-requires GLIBCXX_3.4.32" {
            if TorchRuntime.NativeFixStatus.StartsWith "applied:" then
                let lib = Path.Combine(nativeDir, "libLibTorchSharp.so")
                let psi = Diagnostics.ProcessStartInfo("readelf", $"-V {lib}")
                psi.RedirectStandardOutput <- true
                use p = nonNull (Diagnostics.Process.Start psi)
                let out = p.StandardOutput.ReadToEnd()
                p.WaitForExit()
                let line = out.Split('\n') |> Array.tryFind (fun l -> l.Contains "GLIBCXX_3.4.32")
                Expect.isSome line "readelf lists the version entry"
                Expect.stringContains line.Value "WEAK" "the GLIBCXX_3.4.32 requirement is weak"
        }

        test "glibc keeps freed tensor memory (no page faults for every large tensor)" {
            if OperatingSystem.IsLinux() then
                Expect.isTrue (HostAllocator.KeepFreedMemory()) "mallopt accepted the thresholds"
        }

        test "the smoke run reduces its loss" {
            let first, last = smokeRun 30 0
            Expect.isLessThan last first "30 AdamW steps on a tiny MLP reduce the MSE"
        }

        test "device parsing accepts cpu and rejects nonsense with a message naming it" {
            Expect.equal (TorchRuntime.ResolveDevice "cpu").``type`` DeviceType.CPU "cpu"
            let message (spec: string) =
                try
                    TorchRuntime.ResolveDevice spec |> ignore
                    failtest $"ResolveDevice accepted {spec}"
                with :? ArgumentException as e -> e.Message
            Expect.stringContains (message "tpu") "tpu" "names the bad device"
            if not (torch.cuda.is_available()) then
                Expect.stringContains (message "cuda:0") "CUDA is not available" "says why"
        }

        test "the thread count is set explicitly" {
            let before = torch.get_num_threads()
            try
                Expect.equal (TorchRuntime.SetThreads(Nullable 1)) 1 "returns the count"
                Expect.equal (torch.get_num_threads()) 1 "libtorch uses it"
            finally
                torch.set_num_threads before
        }
    ]
