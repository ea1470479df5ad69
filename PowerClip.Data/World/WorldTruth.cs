namespace PowerClip.Data;

/// <summary>
/// Whether a caption (mentions + optional relation between the first two) is true of a scene: some assignment
/// of distinct scene objects to the mentions matches every stated colour, shape and size, and the relation holds.
/// Strict truth uses <see cref="WorldScene.Holds"/> (the relation clearly holds); loose truth counts any hint
/// of it (left of: dx &lt; 0, next to: |dx| ≥ |dy|/1.5, …). Positives must be strictly true and hard negatives
/// loosely false, so a negative is never a borderline case.
/// </summary>
public static class WorldTruth
{
    public static bool IsTrue(WorldScene scene, IReadOnlyList<ObjectMention> mentions, Relation? relation, bool strict)
    {
        var used = new bool[scene.Objects.Count];
        var chosen = new int[mentions.Count];
        return Assign(0);

        bool Assign(int m)
        {
            if (m == mentions.Count)
                return relation is not { } r || (strict ? scene.Holds(chosen[0], chosen[1], r) : LooselyHolds(scene,
                    chosen[0], chosen[1], r));
            for (var o = 0; o < scene.Objects.Count; o++)
            {
                if (used[o] || !Matches(scene.Objects[o], mentions[m])) continue;
                used[o] = true;
                chosen[m] = o;
                if (Assign(m + 1)) return true;
                used[o] = false;
            }
            return false;
        }
    }

    public static bool Matches(WorldObject o, ObjectMention m) =>
        o.Colour == m.Colour && o.Shape == m.Shape && (m.Size is null || m.Size == o.Size);

    public static bool LooselyHolds(WorldScene scene, int a, int b, Relation r)
    {
        var (dx, dy) = (scene.Objects[a].X - scene.Objects[b].X, scene.Objects[a].Y - scene.Objects[b].Y);
        return r switch
        {
            Relation.LeftOf => dx < 0,
            Relation.RightOf => dx > 0,
            Relation.Above => dy < 0,
            Relation.Below => dy > 0,
            _ => Math.Abs(dx) * 1.5 >= Math.Abs(dy),
        };
    }

    public static bool IsTrue(WorldScene scene, WorldCaption caption, bool strict = true) =>
        IsTrue(scene, caption.Mentions, caption.Relation, strict);
}
