namespace PowerClip.Notebooks

/// Plain-text tables: they read the same in a notebook front end, on a code host and in CI's log.
module Tables =

    let private isNumber (cell: string) : bool =
        fst (System.Double.TryParse(cell, System.Globalization.NumberStyles.Float,
                                    System.Globalization.CultureInfo.InvariantCulture))

    /// Columns padded to their widest cell; numbers right-aligned, text left-aligned.
    let render (header: string list) (rows: string list list) : string =
        let all = header :: rows
        let columns = all |> List.map List.length |> List.max
        let cell (row: string list) (c: int) : string = if c < row.Length then row[c] else ""
        let widths = [ for c in 0 .. columns - 1 -> all |> List.map (fun r -> (cell r c).Length) |> List.max ]
        let line (row: string list) : string =
            [ for c in 0 .. columns - 1 ->
                  if isNumber (cell row c) then (cell row c).PadLeft widths[c] else (cell row c).PadRight widths[c] ]
            |> String.concat "  "
        let rule = widths |> List.map (fun w -> String.replicate w "-") |> String.concat "  "
        String.concat "\n" ([ line header; rule ] @ List.map line rows)

    /// A number with a fixed count of decimals, for table cells.
    let num (decimals: int) (x: float) : string = x.ToString($"F{decimals}",
                                                             System.Globalization.CultureInfo.InvariantCulture)
