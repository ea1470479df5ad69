using PowerClip.Model;
using PowerClip.Spec;

using PowerClip.Train;

namespace PowerClip.Train;

/// <summary>
/// The ζ reading of the spec's commands (nla eval, nla-accuracy), named as the training options name it
/// (<see cref="LossSettingNames.ZetaReading"/>): one vocabulary for the command line, the JSON inputs and the reports.
/// </summary>
public static class NlaReadings
{
    /// <summary>The spec's reading for a name; an ArgumentException naming <paramref name="label"/> and the choices
    /// otherwise.</summary>
    public static Spec.ZetaReading Parse(string name, string label) =>
        ToSpec(LossSettingNames.ZetaReading.Parse(name, label));

    public static string NameOf(Spec.ZetaReading reading) => LossSettingNames.ZetaReading.NameOf(FromSpec(reading));

    public static Spec.ZetaReading ToSpec(Model.ZetaReading reading) => reading switch
    {
        Model.ZetaReading.ZetaWeightsLogCosh => Spec.ZetaReading.ZetaWeightsLogCosh,
        Model.ZetaReading.ZetaWeightsLower => Spec.ZetaReading.ZetaWeightsLower,
        _ => Spec.ZetaReading.LinearInterpolation,
    };

    public static Model.ZetaReading FromSpec(Spec.ZetaReading reading) =>
        reading.IsZetaWeightsLogCosh ? Model.ZetaReading.ZetaWeightsLogCosh
        : reading.IsZetaWeightsLower ? Model.ZetaReading.ZetaWeightsLower
        : Model.ZetaReading.LinearInterpolation;
}
