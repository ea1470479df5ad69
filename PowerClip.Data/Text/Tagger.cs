namespace PowerClip.Data;

/// <summary>
/// Part-of-speech tags for the caption parser: a closed-class lexicon, a list of frequent caption verbs
/// and suffix rules. Unknown words are nouns (a noun before a noun is a compound modifier in the same base NP).
/// </summary>
internal static class Tagger
{
    private static readonly HashSet<string> Determiners =
        Set("a an the this that these those some each every another no all both several many any either neither few");
    private static readonly HashSet<string> Numbers = Set(
        "one two three four five six seven eight nine ten eleven twelve dozen");
    private static readonly HashSet<string> Prepositions =
        Set("on in at with of under over above below behind beside besides near by into onto from for through across " +
        "along around between among inside outside against toward towards during up down off out beneath underneath " +
        "atop upon about like past via within without after before while");
    private static readonly HashSet<string> Pronouns = Set("he she it they we i you him them us me someone something");
    private static readonly HashSet<string> Possessives = Set("his her their its our my your");
    private static readonly HashSet<string> Conjunctions = Set("and or but");
    private static readonly HashSet<string> WhWords = Set("that which who whose");
    private static readonly HashSet<string> Auxiliaries = Set("is are was were be been being has have had");
    private static readonly HashSet<string> Modals = Set("can could will would may might should must");
    private static readonly HashSet<string> Adverbs = Set(
        "very together there here also just still almost too quite really");
    private static readonly HashSet<string> FiniteVerbs = Set(
        "is are was were has have sits sit stands stand lies lie holds hold rides ride walks walk runs run plays " +
            "play eats eat " +
        "looks look wears wear flies fly swims swim jumps jump carries carry sleeps sleep waits wait rests rest " +
            "grazes graze " +
        "contains contain shows show leans lean hangs hang covers cover pulls pull throws throw catches catch " +
            "drinks drink " +
        "watches watch uses use goes go travels travel crosses cross sails sail surfs surf skis ski stares stare " +
            "smiles smile " +
        "poses pose talks talk reads read");
    private static readonly HashSet<string> Adjectives = Set(
        "red green blue yellow purple orange white black gray grey brown pink small large big little tiny huge tall " +
            "short long " +
        "young old new wooden empty open closed full dark bright light round triangular striped colorful colourful " +
        "wet dry hot cold clean dirty old-fashioned busy quiet pretty beautiful cute happy sad fresh several " +
            "different " +
        "left right top bottom middle front back other same");
    private static readonly HashSet<string> IngNouns = Set(
        "building ceiling clothing ring king thing wing string spring swing morning evening painting sling earring " +
        "icing wedding pudding railing ping sibling ceiling something nothing everything anything dining parking");

    // Multi-word prepositions, longest first; every word is tagged IN.
    private static readonly string[][] MultiWordPrepositions =
        new[] { "to the left of", "to the right of", "on the left of", "on the right of", "in front of", "on top of",
            "in the middle of",
                "next to", "close to", "left of", "right of", "out of", "because of", "instead of", "ahead of" }
        .Select(s => s.Split(' ')).ToArray();

    private static HashSet<string> Set(string words) => words.Split(' ', StringSplitOptions.RemoveEmptyEntries)
        .ToHashSet(StringComparer.Ordinal);

    public static bool IsAuxiliary(string word) => Auxiliaries.Contains(word.ToLowerInvariant());

    public static string[] Tag(string[] words)
    {
        var lower = words.Select(w => w.ToLowerInvariant()).ToArray();
        var tags = new string[words.Length];
        for (var i = 0; i < words.Length; i++)
        {
            if (tags[i] is not null) continue;
            var mw = MultiWordPrepositions.FirstOrDefault(p => i + p.Length <= lower.Length
                && p.SequenceEqual(lower.Skip(i).Take(p.Length)));
            if (mw is not null) { for (var k = 0; k < mw.Length; k++) tags[i + k] = "IN"; continue; }
            tags[i] = TagOne(lower, i, tags);
        }
        return tags;
    }

    private static string TagOne(string[] w, int i, string[] tags)
    {
        var word = w[i];
        var prev = i > 0 ? tags[i - 1] : "";
        var afterNoun = prev is "NN" or "NNS" or "PRP" or "CD";
        if (CaptionText.IsPunctuation(word)) return word is "." or "," or ":" or "!" or "?" or ";"
            ? (word == "," ? "," : ".") : "PUNCT";
        if (word.All(char.IsDigit) || Numbers.Contains(word)) return "CD";
        if (word == "that" && i + 1 < w.Length && (Auxiliaries.Contains(w[i + 1])
            || FiniteVerbs.Contains(w[i + 1]))) return "WDT";
        if (Determiners.Contains(word)) return "DT";
        if (WhWords.Contains(word)) return word == "who" ? "WP" : "WDT";
        if (Conjunctions.Contains(word)) return "CC";
        if (Possessives.Contains(word) && !(word == "her" && i + 1 < w.Length
            && Prepositions.Contains(w[i + 1]))) return "PRP$";
        if (Pronouns.Contains(word)) return "PRP";
        if (Modals.Contains(word)) return "MD";
        if (word == "to") return "IN";
        if (Prepositions.Contains(word)) return "IN";
        if (Adverbs.Contains(word) || (word.EndsWith("ly", StringComparison.Ordinal) && word.Length > 4
            && word != "only")) return "RB";
        if (Auxiliaries.Contains(word)) return word is "is" or "has" or "was" ? "VBZ" : "VBP";
        if (FiniteVerbs.Contains(word) && (afterNoun || prev is "RB" or "MD")) return word.EndsWith('s')
            ? "VBZ" : "VBP";
        if (Adjectives.Contains(word)) return "JJ";
        if (word.EndsWith("ing", StringComparison.Ordinal) && word.Length > 4 && !IngNouns.Contains(word))
            return prev is "DT" or "JJ" or "PRP$" or "CD" ? "JJ" : "VBG";
        if (word.EndsWith("ed", StringComparison.Ordinal) && word.Length > 4)
            return prev is "DT" or "JJ" or "PRP$" or "CD" or "RB" ? "JJ" : "VBN";
        return IsPlural(word) ? "NNS" : "NN";
    }

    private static bool IsPlural(string w) => w.Length > 3 && w.EndsWith('s')
        && !w.EndsWith("ss", StringComparison.Ordinal) && !w.EndsWith("us", StringComparison.Ordinal)
        && !w.EndsWith("is", StringComparison.Ordinal);
}
