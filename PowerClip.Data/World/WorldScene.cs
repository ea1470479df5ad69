namespace PowerClip.Data;

/// <summary>One object: centre (X, Y) and radius in pixels.</summary>
public sealed record WorldObject(Shape Shape, Colour Colour, ObjectSize Size, double X, double Y, double Radius);

/// <summary>A scene: objects that do not overlap, on a plain noisy background.</summary>
public sealed record WorldScene(IReadOnlyList<WorldObject> Objects, (byte R, byte G, byte B) Background)
{
    /// <summary>
    /// Whether "a relation b" clearly holds: left/right of and next to need the horizontal offset to dominate
    /// (|dx| ≥ 1.5|dy|), above/below the vertical one (|dy| ≥ 1.5|dx|). Unclear pairs satisfy no relation,
    /// so a caption never states something borderline and a negative is never accidentally true.
    /// </summary>
    public bool Holds(int a, int b, Relation r)
    {
        var (dx, dy) = (Objects[a].X - Objects[b].X, Objects[a].Y - Objects[b].Y);
        var horizontal = Math.Abs(dx) >= 1.5 * Math.Abs(dy);
        var vertical = Math.Abs(dy) >= 1.5 * Math.Abs(dx);
        return r switch
        {
            Relation.LeftOf => horizontal && dx < 0,
            Relation.RightOf => horizontal && dx > 0,
            Relation.Above => vertical && dy < 0,
            Relation.Below => vertical && dy > 0,
            _ => horizontal,
        };
    }

    /// <summary>Samples 1..n non-overlapping objects; attribute choices are uniform.</summary>
    public static WorldScene Sample(Random rng, WorldConfig config)
    {
        var s = config.ImageSize;
        var count = rng.Next(config.MinObjects, config.MaxObjects + 1);
        var objects = new List<WorldObject>();
        for (var attempt = 0; objects.Count < count && attempt < 200; attempt++)
        {
            var size = rng.Next(2) == 0 ? ObjectSize.Small : ObjectSize.Large;
            var r = WorldVocabulary.RadiusFraction(size) * s;
            var x = r + 1 + rng.NextDouble() * (s - 2 * r - 2);
            var y = r + 1 + rng.NextDouble() * (s - 2 * r - 2);
            if (objects.Any(o => Math.Sqrt((o.X - x) * (o.X - x) + (o.Y - y) * (o.Y - y)) < o.Radius + r
                + 0.04 * s)) continue;
            objects.Add(new WorldObject(
                WorldVocabulary.Shapes[rng.Next(WorldVocabulary.Shapes.Length)],
                WorldVocabulary.Colours[rng.Next(WorldVocabulary.Colours.Length)], size, x, y, r));
        }
        var bg = ((byte)rng.Next(20, 70), (byte)rng.Next(20, 70), (byte)rng.Next(20, 70));
        return new WorldScene(objects, bg);
    }
}
