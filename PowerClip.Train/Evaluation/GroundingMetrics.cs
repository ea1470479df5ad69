namespace PowerClip.Train.Evaluation;

/// <summary>
/// Grounding accuracy as pure functions of one phrase's similarities S1[m, B] = ⟨φ_m, p_B⟩ over the patches m
/// (each patch its own region, φ_m the normalised patch token; p_B = Σ_{l∈B} ψ_l) and the phrase's target mask.
/// T2R's weight of patch m for the phrase is σ(S1[m, B]/τ), which is monotone in S1, so both measures are the
/// same for every τ and need nothing but S1 — the definition applies unchanged to any model with patch tokens
/// and token features in the joint space (CLIP included, whose loss never sees S1).
/// </summary>
public static class GroundingMetrics
{
    /// <summary>
    /// Pointing: the patch with the largest phrase weight lies in the mask. When several patches share the largest
    /// value, all of them must lie in the mask (a tie that reaches outside is a miss, as in the other benchmarks);
    /// a non-finite similarity is a miss.
    /// </summary>
    public static bool Pointing(IReadOnlyList<float> s1, IReadOnlySet<int> mask)
    {
        Check(s1, mask);
        if (s1.Any(x => !float.IsFinite(x))) return false;
        var max = s1.Max();
        for (var m = 0; m < s1.Count; m++)
            if (s1[m] == max && !mask.Contains(m)) return false;
        return true;
    }

    /// <summary>The subset T2R's max selects for the phrase: the patches with S1 &gt; 0 (weight above ½).</summary>
    public static int[] Selected(IReadOnlyList<float> s1) =>
        Enumerable.Range(0, s1.Count).Where(m => s1[m] > 0).ToArray();

    /// <summary>Intersection over union of the selected subset and the mask (0 when nothing is selected).</summary>
    public static double SelectedIoU(IReadOnlyList<float> s1, IReadOnlySet<int> mask)
    {
        Check(s1, mask);
        var selected = Selected(s1);
        var inter = selected.Count(mask.Contains);
        return (double)inter / (selected.Length + mask.Count - inter);
    }

    private static void Check(IReadOnlyList<float> s1, IReadOnlySet<int> mask)
    {
        if (s1.Count == 0) throw new ArgumentException("no patches to ground on");
        if (mask.Count == 0) throw new ArgumentException("the target mask is empty");
        if (mask.Any(m => m < 0 || m >= s1.Count))
            throw new ArgumentException($"the target mask names a patch outside 0..{s1.Count - 1}");
    }
}
