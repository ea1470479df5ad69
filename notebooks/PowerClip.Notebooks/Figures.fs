namespace PowerClip.Notebooks

open Plotly.NET
open Plotly.NET.ImageExport

/// Plotly.NET charts rendered for a saved notebook, offline: plotly.js is always embedded in full
/// (the default CDN reference gives a blank figure without a network).
module Figures =

    let private fullPlotlyJs (chart: GenericChart) : GenericChart =
        chart |> Chart.withDisplayOptions (DisplayOptions.init (PlotlyJSReference = PlotlyJSReference.Full))

    /// Debian's chromium (or POWERCLIP_CHROMIUM): the headless browser that draws PNGs.
    let private chromiumPath () : string =
        let candidates =
            [ match System.Environment.GetEnvironmentVariable "POWERCLIP_CHROMIUM" with
              | null -> ()
              | path -> yield path
              yield "/usr/bin/chromium"
              yield "/usr/bin/chromium-browser" ]
        match candidates |> List.tryFind System.IO.File.Exists with
        | Some path -> path
        | None ->
            failwith "PNG figures need chromium: apt-get install chromium (or set POWERCLIP_CHROMIUM, or \
                POWERCLIP_NB_PLOTS=html)"

    /// Points ImageExport at chromium, once per process (its options are process-wide).
    let private browser : Lazy<unit> =
        lazy
            (PuppeteerSharpRendererOptions.localBrowserExecutablePath <- Some(chromiumPath ())
             PuppeteerSharpRendererOptions.launchOptions.Args <- [| "--no-sandbox"; "--disable-gpu" |])

    /// The chart as a base64 PNG (one headless browser launch per call).
    let png (width: int) (height: int) (chart: GenericChart) : string =
        browser.Force()
        let base64 = fullPlotlyJs chart |> Chart.toBase64PNGString (Width = width, Height = height)
        // ImageExport returns a data URL; notebooks want the bare base64 payload.
        match base64.IndexOf "," with
        | -1 -> base64
        | comma -> base64.Substring(comma + 1)

    /// The chart as a self-contained HTML fragment with plotly.js inline.
    let html (chart: GenericChart) : string = fullPlotlyJs chart |> GenericChart.toEmbeddedHTML
