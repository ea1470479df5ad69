using System.Text.Json;
using PowerClip.Spec;

using PowerClip.Train;

namespace PowerClip.Cli.Commands;

/// <summary>
/// One input of `powerclip nla eval`: {"s0": [[…], …], "nodes": [[…], …], "tau": …, "zeta": …,
/// "zeta_reading": "lower" | "logcosh" | "linear"}. Every defect is a UsageException naming the field.
/// </summary>
public sealed record NlaCaseInput(double[,] S0, ParseTree Tree, double Tau, double Zeta, ZetaReading Reading)
{
    public static NlaCaseInput Load(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"input file not found: {path}");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new UsageException($"{path}: not valid JSON ({e.Message})");
        }
        using (doc) return Parse(doc.RootElement, path);
    }

    public static NlaCaseInput Parse(JsonElement root, string source)
    {
        UsageException Bad(string message) => new($"{source}: {message}");
        if (root.ValueKind != JsonValueKind.Object) throw Bad("the input must be a JSON object");
        JsonElement Field(string name) =>
            root.TryGetProperty(name, out var v) ? v : throw Bad($"missing field \"{name}\"");
        double Number(JsonElement e, string what) =>
            e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out var d) && double.IsFinite(d)
                ? d
                : throw Bad($"{what} must be a finite number, got {e.GetRawText()}");
        JsonElement[] Array(JsonElement e, string what) =>
            e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().ToArray() : throw Bad($"{what} must be a list");

        var rows = Array(Field("s0"), "s0");
        if (rows.Length == 0) throw Bad("s0 has no rows (regions)");
        var firstRow = Array(rows[0], "s0[0]");
        if (firstRow.Length == 0) throw Bad("s0 rows are empty (no leaves)");
        var s0 = new double[rows.Length, firstRow.Length];
        for (var m = 0; m < rows.Length; m++)
        {
            var row = Array(rows[m], $"s0[{m}]");
            if (row.Length != firstRow.Length)
                throw Bad($"s0 is ragged: row {m} has {row.Length} entries, row 0 has {firstRow.Length}");
            for (var l = 0; l < row.Length; l++) s0[m, l] = Number(row[l], $"s0[{m}][{l}]");
        }
        if (rows.Length > Powerset.MaxRegions)
            throw Bad($"s0 has {rows.Length} regions; the exact sums enumerate 2^M subsets and allow M <= " +
                $"{Powerset.MaxRegions}");

        var nodeList = Array(Field("nodes"), "nodes");
        if (nodeList.Length == 0) throw Bad("nodes is empty: the tree needs at least one node");
        var nodes = nodeList.Select((node, b) => Array(node, $"nodes[{b}]").Select((leaf, k) =>
            leaf.ValueKind == JsonValueKind.Number && leaf.TryGetInt32(out var i)
                ? i
                : throw Bad($"nodes[{b}][{k}] must be an integer leaf index, got {leaf.GetRawText()}")).ToArray())
                    .ToArray();
        var tree = new ParseTree(firstRow.Length, nodes);

        var tau = Number(Field("tau"), "tau");
        var zeta = Number(Field("zeta"), "zeta");
        var reading = Nla.defaultReading;
        if (root.TryGetProperty("zeta_reading", out var w))
        {
            if (w.ValueKind != JsonValueKind.String) throw Bad($"zeta_reading must be a string, got {w.GetRawText()}");
            try { reading = NlaReadings.Parse(w.GetString()!, "zeta_reading"); }
            catch (ArgumentException e) { throw Bad(e.Message); }
        }
        try
        {
            // The library's checks name the remaining defects (leaf index out of range, empty node, tau, zeta).
            Validate.tree(tree);
            Validate.s0(s0, tree);
            Validate.tau(tau);
            Validate.zeta(zeta);
        }
        catch (ArgumentException e)
        {
            throw Bad(e.Message);
        }
        return new NlaCaseInput(s0, tree, tau, zeta, reading);
    }
}
