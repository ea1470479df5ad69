/// The oneMKL code-path override (PowerClip.Model.MklCodePath, build/MklDispatch.targets): that the build
/// records what it did, that on a CPU where it applies oneMKL really asks it, and that products on the forced
/// path equal oneMKL's own path (a child process with POWERCLIP_MKL_CODE_PATH=native) within float32 rounding.
module PowerClip.Model.Tests.MklCodePathTests

open System
open System.Diagnostics
open System.IO
open System.Runtime.InteropServices
open Expecto
open TorchSharp
open PowerClip.Model

/// float32 products of the `small` preset's shapes (batch 64: 64 × 65 vision tokens, width 192, MLP 768, 3 heads
/// of 64): a Linear layer's forward and both gradients, and attention's two batched products. Fixed seed.
let private products () : float32[][] =
    use scope = torch.NewDisposeScope()
    torch.manual_seed 7L |> ignore
    let x = torch.randn(4160L, 192L).requires_grad_(true)
    let w = (torch.randn(768L, 192L) * 0.05f).requires_grad_(true)
    let y = torch.nn.functional.linear(x, w)
    let upstream = torch.randn(4160L, 768L)
    let grads = torch.autograd.grad([| y |], [| x; w |], [| upstream |])
    let q = torch.randn(192L, 65L, 64L)
    let k = torch.randn(192L, 65L, 64L)
    let scores = torch.bmm(q, k.transpose(1L, 2L)).softmax(-1L)
    let mixed = torch.bmm(scores, torch.randn(192L, 65L, 64L))
    [| y; grads[0]; grads[1]; mixed |]
    |> Array.map (fun t -> t.detach().contiguous().flatten().data<float32>().ToArray())

let private names = [| "linear forward"; "its gradient to x"; "its gradient to w"; "attention's two bmm" |]

/// `PowerClip.Model.Tests.dll mkl-probe FILE`: writes the status line and `products ()` (run by the parity test).
let tryProbe (argv: string[]) : int option =
    match argv with
    | [| "mkl-probe"; file |] ->
        TorchRuntime.EnsureNativeLoaded()
        torch.set_num_threads 1
        let values = products ()
        use w = new BinaryWriter(File.Create file)
        w.Write(MklCodePath.Status)
        for v in values do
            w.Write(v.Length)
            v |> Array.iter w.Write
        Some 0
    | _ -> None

let private isLinuxX64 = OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture = Architecture.X64

/// oneMKL's own path, from a child process of this test executable.
let private nativeProducts () : string * float32[][] =
    let file = Path.GetTempFileName()
    try
        let dll = Reflection.Assembly.GetExecutingAssembly().Location
        let psi = ProcessStartInfo("dotnet", $"\"{dll}\" mkl-probe \"{file}\"")
        psi.Environment[MklCodePath.Variable] <- "native"
        psi.RedirectStandardOutput <- true
        psi.RedirectStandardError <- true
        use p = nonNull (Process.Start psi)
        let err = p.StandardError.ReadToEndAsync()
        p.StandardOutput.ReadToEnd() |> ignore
        p.WaitForExit()
        if p.ExitCode <> 0 then failtestf "mkl-probe exited with %d: %s" p.ExitCode err.Result
        use r = new BinaryReader(File.OpenRead file)
        let status = r.ReadString()
        status, names |> Array.map (fun _ -> Array.init (r.ReadInt32()) (fun _ -> r.ReadSingle()))
    finally
        File.Delete file

[<Tests>]
let tests =
    testList "mkl code path" [
        test "the build records whether it built the oneMKL override" {
            if isLinuxX64 then
                let status = MklCodePath.BuildStatus
                Expect.isTrue (status.StartsWith "built:" || status.StartsWith "skipped:") $"build status: {status}"
                let native = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native")
                let built = File.Exists(Path.Combine(native, MklCodePath.LibraryFile))
                Expect.equal built (status.StartsWith "built:") "the library ships exactly when it was built"
        }

        test "POWERCLIP_MKL_CODE_PATH accepts the four paths and refuses others, naming the value" {
            Expect.equal (MklCodePath.ParseMode null) "auto" "unset means auto"
            Expect.equal (MklCodePath.ParseMode " AVX512 ") "avx512" "case and spaces do not matter"
            Expect.equal (MklCodePath.ParseMode "native") "native" "native"
            let message =
                try
                    MklCodePath.ParseMode "avx1024" |> ignore
                    failtest "avx1024 was accepted"
                with :? ArgumentException as e -> e.Message
            Expect.stringContains message "avx1024" "the message names the value"
            Expect.stringContains message MklCodePath.Variable "and the variable"
        }

        test "auto applies the override on a non-Intel CPU with AVX-512 when the build made it" {
            TorchRuntime.EnsureNativeLoaded()
            let mode = MklCodePath.ParseMode(Environment.GetEnvironmentVariable MklCodePath.Variable)
            if isLinuxX64 && mode = "auto" && MklCodePath.CpuVendor <> "GenuineIntel" && MklCodePath.HasAvx512
               && MklCodePath.BuildStatus.StartsWith "built:" then
                // Fails after a TorchSharp upgrade brings another oneMKL: re-read its CPU-type table, then extend
                // MklCodePath.VerifiedVersions.
                Expect.isTrue MklCodePath.Applied $"the override should apply here: {MklCodePath.Status}"
        }

        test "where the override applies, oneMKL asks it and would have chosen another path" {
            TorchRuntime.EnsureNativeLoaded()
            let status = MklCodePath.Status
            Expect.isFalse (status.StartsWith "inactive:") $"the override was loaded too late: {status}"
            if MklCodePath.Applied then
                Expect.isGreaterThan (MklCodePath.Consulted()) 0L "oneMKL asked the override for the CPU type"
                // 7 is the AVX-512 path: if oneMKL chose it by itself the override would be unnecessary.
                let own = MklCodePath.OwnCpuType()
                Expect.isGreaterThanOrEqual own 0 "the override finds oneMKL's own query in libtorch_cpu.so"
                Expect.notEqual own 7 "oneMKL's own choice differs from the forced one"
            else
                Expect.isTrue
                    (["skipped:"; "off:"; "not-applicable:"] |> List.exists status.StartsWith)
                    $"a status that says why the override does not apply: {status}"
        }

        test "products on the forced path equal oneMKL's own path within float32 rounding" {
            TorchRuntime.EnsureNativeLoaded()
            if not MklCodePath.Applied then skiptestf "the override does not apply here: %s" MklCodePath.Status
            let threads = torch.get_num_threads()
            torch.set_num_threads 1
            let forced = try products () finally torch.set_num_threads threads
            let nativeStatus, native = nativeProducts ()
            Expect.stringStarts nativeStatus "off:" "the child ran oneMKL's own path"
            for name, f, n in Array.zip3 names forced native do
                Expect.equal f.Length n.Length $"{name}: same number of values"
                let scale = n |> Array.map abs |> Array.max
                let worst = Array.map2 (fun (a: float32) b -> abs (a - b)) f n |> Array.max
                // Sums of up to 4160 float32 terms in another order: differences of ~1e-6 of the largest value.
                let message = $"{name}: largest difference {worst} (values up to {scale})"
                Expect.isLessThan (float worst) (1e-5 * float scale) message
        }
    ]
