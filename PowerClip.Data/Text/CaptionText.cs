using System.Text.RegularExpressions;

namespace PowerClip.Data;

/// <summary>A word of a caption and its character range [Start, End) in the (normalised) caption.</summary>
public readonly record struct Word(string Text, int Start, int End);

/// <summary>Caption normalisation and word splitting shared by the parser, the tokenizer and tree alignment.</summary>
public static partial class CaptionText
{
    // Words are letter/digit runs (with inner apostrophes and hyphens); every other non-space character is its own
    // word.
    [GeneratedRegex(@"[\p{L}\p{N}]+(?:['’\-][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    /// <summary>Collapses runs of white space to one space and trims, so character offsets agree everywhere.</summary>
    public static string Normalize(string caption) => Whitespace().Replace(caption, " ").Trim();

    /// <summary>The words of an already normalised caption, in order, with their character ranges.</summary>
    public static Word[] Split(string caption) =>
        WordPattern().Matches(caption).Select(m => new Word(m.Value, m.Index, m.Index + m.Length)).ToArray();

    /// <summary>True for a word made only of punctuation (PTB tags it with itself).</summary>
    public static bool IsPunctuation(string word) => word.Length > 0 && word.All(c => !char.IsLetterOrDigit(c));
}
