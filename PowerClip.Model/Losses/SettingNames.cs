namespace PowerClip.Model;

/// <summary>
/// The names the command line and the files use for a setting's values — one map per setting, so every option
/// and every input file parses it the same way and every message lists the same choices.
/// </summary>
public sealed class SettingNames<T>(string setting, IReadOnlyList<(string Name, T Value)> entries) where T : struct, Enum
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
            : throw new ArgumentException($"{label ?? Setting} '{name}' is not valid: expected {string.Join(" or ", Names)}");

    public string NameOf(T value) => entries.First(e => EqualityComparer<T>.Default.Equals(e.Value, value)).Name;
}

/// <summary>The PowerCLIP loss settings' value names (<see cref="PowerClipLossConfig"/>).</summary>
public static class LossSettingNames
{
    public static SettingNames<ZetaReading> ZetaReading { get; } = new("ζ reading",
    [
        ("lower", Model.ZetaReading.ZetaWeightsLower),
        ("logcosh", Model.ZetaReading.ZetaWeightsLogCosh),
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
}
