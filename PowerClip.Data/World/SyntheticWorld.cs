namespace PowerClip.Data;

/// <summary>One sample of the synthetic world: the scene, its image, exact per-object masks (region r = object r) and a
/// true caption.</summary>
public sealed record WorldSample(string Key, WorldSplit Split, WorldScene Scene, RgbImage Image, RegionMasks Masks,
    WorldCaption Caption)
{
    /// <summary>The sample as a data source yields it (caption tree as PTB brackets, masks as regions).</summary>
    public RawSample ToRaw() => new(Key, Caption.Text, Image, Masks, Caption.Tree.ToBracketString());
}

/// <summary>
/// The synthetic compositional world — the embedded default dataset, needing no download. Sample i of a split
/// is a pure function of (Seed, split, i): any size, random access, generated on the fly or written to disk.
/// Training samples never contain a held-out colour×shape or relation combination; test samples always do.
/// </summary>
public sealed class SyntheticWorld
{
    public WorldConfig Config { get; }
    public HeldOutSplit HeldOut { get; }

    public SyntheticWorld(WorldConfig config)
    {
        Config = config.Validate();
        HeldOut = new HeldOutSplit(config);
    }

    /// <summary>A deterministic random stream for (seed, split, index, stream).</summary>
    public Random Rng(WorldSplit split, long index, int stream = 0)
    {
        var h = Mix((ulong)(uint)Config.Seed * 0x9E3779B97F4A7C15UL ^ Mix((ulong)index
            + 0x632BE59BD9B4E019UL * (ulong)(1 + (int)split) + 0x1F123BB5UL * (ulong)stream));
        return new Random((int)(h >> 33));
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public WorldSample Sample(WorldSplit split, long index)
    {
        if (index < 0) throw new ArgumentOutOfRangeException(nameof(index), index, "sample index must be non-negative");
        var rng = Rng(split, index);
        for (var attempt = 0; ; attempt++)
        {
            if (attempt == 10_000) throw new InvalidOperationException(
                $"no {split} scene found for index {index}: the held-out settings leave nothing to sample");
            var scene = WorldScene.Sample(rng, Config);
            if (scene.Objects.Count < Config.MinObjects) continue;
            var heldOutObject = scene.Objects.Any(o => HeldOut.IsHeldOut(o.Colour, o.Shape));
            if (split == WorldSplit.Train && heldOutObject) continue;
            var caption = WorldGrammar.Describe(scene, rng, (r, a, b) => split == WorldSplit.Test
                || !HeldOut.IsHeldOut(r, a, b));
            if (split == WorldSplit.Test && !heldOutObject && !IsHeldOut(scene, caption.Fact)) continue;
            var (image, masks) = WorldRenderer.Render(scene, Config, rng);
            return new WorldSample($"{split.ToString().ToLowerInvariant()}-{Config.Seed}-{index:D8}", split, scene,
                image, masks, caption);
        }
    }

    /// <summary>Whether a stated relation is a held-out combination.</summary>
    public bool IsHeldOut(WorldScene scene, WorldFact? fact) =>
        fact is not null && HeldOut.IsHeldOut(fact.Relation, scene.Objects[fact.Subject].Shape,
            scene.Objects[fact.Object].Shape);

    /// <summary>
    /// Further true captions of the same sample (for retrieval with several captions per image), from an
    /// independent random stream; in the training split they too avoid held-out relations.
    /// </summary>
    public IReadOnlyList<WorldCaption> MoreCaptions(WorldSample sample, int count, long index)
    {
        var rng = Rng(sample.Split, index, stream: 1);
        return Enumerable.Range(0, count)
            .Select(_ => WorldGrammar.Describe(sample.Scene, rng, (r, a, b) => sample.Split == WorldSplit.Test
                || !HeldOut.IsHeldOut(r, a, b)))
            .ToArray();
    }

    public IEnumerable<WorldSample> Samples(WorldSplit split, long count, long start = 0)
    {
        for (var i = start; i < start + count; i++) yield return Sample(split, i);
    }
}
