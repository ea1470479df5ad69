namespace PowerClip.Data;

/// <summary>
/// Which tokenizer a model reads its captions with, as written on the command line (`--tokenizer`) and in a run's
/// config.json: "gpt2" (GPT-2's BPE, shipped with Microsoft.ML.Tokenizers) or "clip:PATH" (CLIP's BPE from
/// open_clip's bpe_simple_vocab_16e6.txt.gz, which the user supplies). The one place a spec becomes a tokenizer.
/// </summary>
public sealed record TokenizerSpec
{
    public const string Gpt2Name = "gpt2";
    public const string ClipPrefix = "clip:";

    /// <summary>Null for GPT-2; the full path of the merges file for CLIP.</summary>
    public string? ClipFile { get; }

    private TokenizerSpec(string? clipFile) => ClipFile = clipFile;

    public static TokenizerSpec Gpt2 { get; } = new((string?)null);

    public bool IsClip => ClipFile is not null;

    /// <summary>
    /// Parses "gpt2" or "clip:PATH" (a relative PATH is made absolute, so that a run folder's config.json names the
    /// file wherever it is read from). Throws an ArgumentException naming the spec when it is neither.
    /// </summary>
    public static TokenizerSpec Parse(string spec)
    {
        if (spec == Gpt2Name) return Gpt2;
        if (spec.StartsWith(ClipPrefix, StringComparison.Ordinal) && spec.Length > ClipPrefix.Length)
            return new TokenizerSpec(Path.GetFullPath(spec[ClipPrefix.Length..]));
        throw new ArgumentException($"tokenizer '{spec}' is not valid: expected {Gpt2Name} or {ClipPrefix}PATH " +
                                    $"(PATH: CLIP's {ClipVocabulary.FileName}; {ClipVocabulary.Provenance})");
    }

    /// <summary>The tokenizer with the model's text context length. A missing or malformed CLIP file throws
    /// FileNotFoundException / FormatException naming the file and where it comes from.</summary>
    public CaptionTokenizer Create(int contextLength) =>
        ClipFile is null
            ? CaptionTokenizer.Gpt2(contextLength) : CaptionTokenizer.FromClipVocabulary(ClipFile, contextLength);

    public override string ToString() => ClipFile is null ? Gpt2Name : ClipPrefix + ClipFile;
}
