namespace PowerClip.Notebooks

/// How much the notebooks compute: Full for the saved notebooks, Small for CI (POWERCLIP_NB_SIZE).
type NotebookSize =
    | Small
    | Full

/// How figures are emitted (POWERCLIP_NB_PLOTS): a PNG renders on code hosts and anywhere offline;
/// HTML (plotly.js embedded in full, ~3.6 MB per figure) is interactive but needs a browser to render.
type PlotFormat =
    | Png
    | Html

module NotebookSettings =

    let private read (name: string) : string option =
        match System.Environment.GetEnvironmentVariable name with
        | null -> None
        | "" -> None
        | value -> Some(value.Trim().ToLowerInvariant())

    /// POWERCLIP_NB_SIZE = small | full (default full).
    let size : NotebookSize =
        match read "POWERCLIP_NB_SIZE" with
        | None
        | Some "full" -> Full
        | Some "small" -> Small
        | Some other -> failwith $"POWERCLIP_NB_SIZE must be small or full, got '{other}'"

    /// POWERCLIP_NB_PLOTS = png | html (default png).
    let plots : PlotFormat =
        match read "POWERCLIP_NB_PLOTS" with
        | None
        | Some "png" -> Png
        | Some "html" -> Html
        | Some other -> failwith $"POWERCLIP_NB_PLOTS must be png or html, got '{other}'"

    /// The small value in CI, the full one otherwise.
    let pick (small: 'T) (full: 'T) : 'T =
        match size with
        | Small -> small
        | Full -> full
