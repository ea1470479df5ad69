namespace PowerClip.Data;

/// <summary>
/// The shuffle buffer's random draws as a pure function of (epoch seed, draw index): a counter-based generator
/// (SplitMix64's finaliser over both numbers), so the shuffle's random state at any point is just the number of
/// draws made (<see cref="DataPosition.Emitted"/>) — nothing to save or replay. The epoch seed is
/// <see cref="Seeds.EpochOrder"/>.
/// </summary>
public static class ShuffleDraw
{
    /// <summary>
    /// Draw <paramref name="index"/> of an epoch, uniform in [0, <paramref name="n"/>) (bias &lt; n / 2³²).
    /// </summary>
    public static int Next(int epochSeed, long index, int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "a draw needs at least one choice");
        var x = Mix(Mix((uint)epochSeed) ^ (ulong)index);
        return (int)(((x >> 32) * (ulong)n) >> 32);
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
