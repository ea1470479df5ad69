namespace PowerClip.Train.Study;

/// <summary>A method's value in one cell minus a reference method's, with the per-seed signs.</summary>
public sealed record CellDifference(string Against, double Value, double Low, double High, string Signs);

/// <summary>One method in one cell: the mean over seeds with its interval, per-seed values, differences.</summary>
public sealed record MethodCell(string Method, double Value, double Low, double High, double[] PerSeed,
                                IReadOnlyList<CellDifference> Differences);

/// <summary>One cell column over all methods that have outcomes for it; Items: the item count of each set.</summary>
public sealed record CellRow(string Table, string Cell, string Description, int[] Items,
                             IReadOnlyList<MethodCell> Methods)
{
    public MethodCell? Of(string method) => Methods.FirstOrDefault(m => m.Method == method);
}

/// <summary>
/// Computes the study's table from per-item outcomes with <see cref="PairedBootstrap"/>: for every cell, one set
/// of shared bootstrap draws for all methods; each method's value with its interval; its difference from every
/// reference method it is not (CLIP for all rows, PowerCLIP-S for the ablation rows) with per-seed signs. A method
/// lacking a seed or a cell's outcomes is left out of that cell; a cell no method has is left out.
/// </summary>
public static class StudyTable
{
    public static IReadOnlyList<CellRow> Compute(IReadOnlyList<StudyMethod> methods,
                                                 IReadOnlyDictionary<string, IReadOnlyList<ArmOutcomes>> outcomes,
                                                 IReadOnlyList<StudyCell> cells, int replicates, int seed)
    {
        var rows = new List<CellRow>();
        for (var c = 0; c < cells.Count; c++)
        {
            var cell = cells[c];
            bool Has(ArmOutcomes r) => cell.Sets.All(s => r.Items.TryGetValue(s, out var v) && v.Length > 0);
            var present = methods
                .Where(m => outcomes.TryGetValue(m.Name, out var arms) && arms.Count > 0 && arms.All(Has)).ToArray();
            if (present.Length == 0) continue;
            IReadOnlyList<double[]> Sets(ArmOutcomes r) => cell.Sets.Select(s => r.Items[s]).ToArray();
            var runs = present
                .Select(m => (IReadOnlyList<IReadOnlyList<double[]>>)outcomes[m.Name].Select(Sets).ToArray()).ToArray();
            var sizes = runs[0][0].Select(s => s.Length).ToArray();
            if (runs.SelectMany(r => r).Any(r => !r.Select(s => s.Length).SequenceEqual(sizes)))
                throw new InvalidOperationException(
                    $"cell '{cell.Name}': the arms were evaluated on different items; rerun them on one export");
            var reps = PairedBootstrap.Replicates(runs, replicates, unchecked(seed * 7919 + c));
            var entries = new List<MethodCell>();
            for (var m = 0; m < present.Length; m++)
            {
                var value = PairedBootstrap.Value(runs[m], reps[m]);
                var differences = References(present[m]).Select(name => Array.FindIndex(present, p => p.Name == name))
                    .Where(r => r >= 0 && r != m && runs[r].Count == runs[m].Count)
                    .Select(r =>
                    {
                        var d = PairedBootstrap.Difference(runs[m], runs[r], reps[m], reps[r]);
                        var signs = PairedBootstrap.Signs(runs[m], runs[r]);
                        return new CellDifference(present[r].Name, d.Point, d.Low, d.High, signs);
                    }).ToArray();
                var perSeed = runs[m].Select(PairedBootstrap.Aggregate).ToArray();
                entries.Add(new MethodCell(present[m].Name, value.Point, value.Low, value.High, perSeed, differences));
            }
            rows.Add(new CellRow(cell.Table, cell.Name, cell.Description, sizes, entries));
        }
        return rows;
    }

    /// <summary>The methods a row is compared with: CLIP always, and the full PowerCLIP-S for an ablation.</summary>
    public static IEnumerable<string> References(StudyMethod method) =>
        method.Ablation ? [StudyMethods.Reference, StudyMethods.FullPowerClip] : [StudyMethods.Reference];
}
