// Loaded after Setup.fsx by notebooks that train or run a model (04-train-and-ground): PowerClip.Data, PowerClip.Train
// (the library under the `powerclip` program), PowerClip.Model and TorchSharp, all from the build output of
// PowerClip.Notebooks, whose runtimes/linux-x64/native/ holds the patched libLibTorchSharp.so
// (build/TorchNativeFix.targets; `#r "nuget: TorchSharp-cpu"` would load the unpatched copy and fail on
// Debian 12). The native libraries are loaded explicitly before the first tensor, so that TorchSharp's
// own probing cannot pick up another copy.
#r "PowerClip.Notebooks/bin/notebook/TorchSharp.dll"
#r "PowerClip.Notebooks/bin/notebook/PowerClip.Data.dll"
#r "PowerClip.Notebooks/bin/notebook/PowerClip.Model.dll"
#r "PowerClip.Notebooks/bin/notebook/PowerClip.Train.dll"

open System.IO
open System.Runtime.InteropServices

let private native = Path.Combine(__SOURCE_DIRECTORY__, "PowerClip.Notebooks", "bin", "notebook", "runtimes", "linux-x64", "native")

for lib in [ "libtorch_cpu.so"; "libtorch.so"; "libLibTorchSharp.so" ] do
    NativeLibrary.Load(Path.Combine(native, lib)) |> ignore
