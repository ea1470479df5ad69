namespace PowerClip.Model;

/// <summary>
/// The names the command line and the files use for a setting's values — one map per setting, so every option
/// and every input file parses it the same way and every message lists the same choices.
/// </summary>
public sealed class SettingNames<T>(string setting, IReadOnlyList<(string Name, T Value)> entries) where T : struct,
    Enum
{
    public string Setting { get; } = setting;

    public IReadOnlyList<string> Names { get; } = entries.Select(e => e.Name).ToArray();

    /// <summary>
    /// The value a name stands for; otherwise an ArgumentException naming the setting (or <paramref name="label"/>,
    /// e.g. the option or field it came from) and the choices.
    /// </summary>
    public T Parse(string name, string? label = null) =>
        entries.FirstOrDefault(e => e.Name == name) is { Name: not null } found
            ? found.Value
            : throw new ArgumentException($"{label ?? Setting} '{name}' is not valid: expected " +
                $"{string.Join(" or ", Names)}");

    public string NameOf(T value) => entries.First(e => EqualityComparer<T>.Default.Equals(e.Value, value)).Name;
}

/// <summary>The PowerCLIP loss settings' value names (<see cref="PowerClipLossConfig"/>).</summary>
public static class LossSettingNames
{
    public static SettingNames<ZetaReading> ZetaReading { get; } = new("ζ reading",
    [
        ("lower", Model.ZetaReading.ZetaWeightsLower),
        ("logcosh", Model.ZetaReading.ZetaWeightsLogCosh),
        ("linear", Model.ZetaReading.LinearInterpolation),
    ]);

    public static SettingNames<Negatives> Negatives { get; } = new("negatives",
    [
        ("local", Model.Negatives.Local),
        ("global", Model.Negatives.Global),
    ]);

    public static SettingNames<ScoreScale> ScoreScale { get; } = new("score scale",
    [
        ("region-mean", Model.ScoreScale.RegionMean),
        ("sum", Model.ScoreScale.Sum),
    ]);

    public static SettingNames<T2RMethod> T2R { get; } = new("T2R",
        [("nla", T2RMethod.Nla), ("exact-relu", T2RMethod.ExactRelu)]);

    public static SettingNames<SubsetRange> R2TSubsets { get; } = new("R2T subsets",
        [("all", SubsetRange.All), ("non-empty", SubsetRange.NonEmpty)]);

    /// <summary>R2T: "nla-t2", or "monte-carlo:K" with K ≥ 1 subsets per evaluation (Samples is null for
    /// nla-t2).</summary>
    public static (R2TMethod Method, int? Samples) ParseR2T(string text, string label = "R2T")
    {
        const string mc = "monte-carlo:";
        if (text == "nla-t2") return (R2TMethod.NlaT2, null);
        if (text.StartsWith(mc, StringComparison.Ordinal)
            && int.TryParse(text[mc.Length..], System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var k) && k >= 1)
            return (R2TMethod.MonteCarlo, k);
        throw new ArgumentException($"{label} '{text}' is not valid: expected nla-t2 or monte-carlo:K with K >= 1");
    }

    /// <summary>The name <see cref="ParseR2T"/> reads back.</summary>
    public static string NameOfR2T(R2TMethod method, int samples) => method == R2TMethod.NlaT2
        ? "nla-t2" : $"monte-carlo:{samples}";
}
