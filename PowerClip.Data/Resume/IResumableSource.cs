namespace PowerClip.Data;

/// <summary>
/// A source that can start an epoch at a saved <see cref="DataPosition"/>: it opens the shard (or row) the
/// position names and reads back the shuffle buffer's records, without reading, decoding or preparing the
/// records before the position. Every sample carries the position after it.
/// </summary>
public interface IResumableSource : IRawSampleSource
{
    /// <summary>Which data this is (kind, shard names, rank part); positions record it, resumes check it.</summary>
    string Identity { get; }

    /// <summary>The rest of <paramref name="from"/>'s epoch after it, each sample with the position after it.</summary>
    IEnumerable<Positioned<RawSample>> ReadFrom(DataPosition from);
}

/// <summary>
/// Rank <see cref="Rank"/> of <see cref="Ranks"/> keeps the shuffled records whose emission index is
/// Rank mod Ranks — disjoint parts of one sequence, chosen before decoding, so each rank decodes only its own.
/// </summary>
public readonly record struct RankStride(int Rank, int Ranks)
{
    public static readonly RankStride None = new(0, 1);

    public bool Keeps(DataPosition after) => Ranks <= 1 || (after.Emitted - 1) % Ranks == Rank;

    public override string ToString() => Ranks <= 1 ? "" : $", every {Ranks}th record from {Rank}";
}
