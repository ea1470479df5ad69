// Loaded by every notebook's first cell (#load "Setup.fsx"): the project's libraries from the build
// output, not copies. "Unable to find the file" below means they are not built yet: run notebooks/run.sh
// or `dotnet build notebooks/PowerClip.Notebooks` (it references PowerClip.Math).
//
// Why the resolver: dotnet-repl's kernel carries FSharp.Core 10.0.0.0, while PowerClip.Math and
// Plotly.NET 6 are compiled against FSharp.Core 10.1.0.0 (package 10.1.403). The runtime refuses a
// higher version than the one loaded, so each request for an assembly the kernel already holds is
// answered with the loaded copy, and the rest come from the build output below.
#r "PowerClip.Notebooks/bin/notebook/PowerClip.Math.dll"
#r "PowerClip.Notebooks/bin/notebook/PowerClip.Notebooks.dll"
#r "PowerClip.Notebooks/bin/notebook/Plotly.NET.dll"
#r "PowerClip.Notebooks/bin/notebook/DynamicObj.dll"
#r "PowerClip.Notebooks/bin/notebook/Giraffe.ViewEngine.dll"

open System
open System.IO
open System.Runtime.Loader
open Microsoft.DotNet.Interactive

let libDir = Path.Combine(__SOURCE_DIRECTORY__, "PowerClip.Notebooks", "bin", "notebook")

AssemblyLoadContext.Default.add_Resolving (fun context name ->
    let loaded =
        AppDomain.CurrentDomain.GetAssemblies()
        |> Array.tryFind (fun a -> a.GetName().Name = name.Name)
    match loaded, name.Name with
    | Some assembly, _ -> assembly
    | None, null -> null
    | None, simpleName ->
        let path = Path.Combine(libDir, simpleName + ".dll")
        if File.Exists path then context.LoadFromAssemblyPath path else null)

// Plain text for values: readable on a code host, and no HTML/CSS boilerplate in the saved file.
Formatting.Formatter.DefaultMimeType <- "text/plain"

/// Shows a Plotly.NET chart as the settings ask: a PNG (renders on code hosts) or offline HTML.
let show (width: int) (height: int) (chart: Plotly.NET.GenericChart) : unit =
    match PowerClip.Notebooks.NotebookSettings.plots with
    | PowerClip.Notebooks.Png ->
        KernelInvocationContext.Current.DisplayAs(PowerClip.Notebooks.Figures.png width height chart, "image/png") |> ignore
    | PowerClip.Notebooks.Html ->
        KernelInvocationContext.Current.DisplayAs(PowerClip.Notebooks.Figures.html chart, "text/html") |> ignore
