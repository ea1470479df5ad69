using System.Text.Json;
using System.Text.Json.Serialization;

namespace PowerClip.Train.Evaluation;

/// <summary>A benchmark accuracy as counts, with its Wilson 95% interval (sound at small n and near 0 or 1).</summary>
public sealed record Proportion(int Correct, int Total)
{
    public double Accuracy => Total == 0 ? double.NaN : (double)Correct / Total;
    public double Ci95Low => Total == 0 ? double.NaN : Metrics.WilsonInterval(Correct, Total).Low;
    public double Ci95High => Total == 0 ? double.NaN : Metrics.WilsonInterval(Correct, Total).High;

    /// <summary>From a rate over n items (the metric functions return rates; each item counts 0 or 1).</summary>
    public static Proportion FromRate(double rate, int n) => new((int)Math.Round(rate * n), n);

    public static Proportion Count(IEnumerable<bool> hits)
    {
        var list = hits.ToArray();
        return new(list.Count(h => h), list.Length) { Items = list };
    }

    /// <summary>
    /// The per-item outcomes behind the counts (item k correct or not, in the benchmark's item order), when the
    /// benchmark kept them: what a paired bootstrap resamples. Not part of equality or of the JSON.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<bool>? Items { get; init; }

    public bool Equals(Proportion? other) => other is not null && Correct == other.Correct && Total == other.Total;

    public override int GetHashCode() => HashCode.Combine(Correct, Total);
}

/// <summary>One benchmark's outcome: named rows for the console table, and the whole object for JSON.</summary>
public interface IBenchmarkResult
{
    /// <summary>Benchmark name as `powerclip eval` spells it.</summary>
    string Benchmark { get; }

    /// <summary>The metrics that are proportions: name and counts (what the demo compares).</summary>
    IEnumerable<(string Metric, Proportion Value)> Rows();

    /// <summary>Every line of the console table, in order: the proportions and the averages that are not one (macro
    /// accuracies).</summary>
    IEnumerable<ResultLine> Lines() => Rows().Select(r => ResultLine.Of(r.Metric, r.Value));
}

/// <summary>One metric as printed: its value in [0, 1], the count it rests on and, for a proportion, its
/// counts.</summary>
public sealed record ResultLine(string Metric, double Value, int N, Proportion? Counts = null)
{
    public static ResultLine Of(string metric, Proportion p) => new(metric, p.Accuracy, p.Total, p);
}

/// <summary>JSON settings for results: snake_case names, indented.</summary>
public static class ResultJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
