namespace PowerClip.Data;

public enum Shape { Circle, Square, Triangle, Diamond, Cross, Star }

public enum Colour { Red, Green, Blue, Yellow, Purple, Orange, White, Gray }

public enum ObjectSize { Small, Large }

/// <summary>Spatial relations between two objects; "next to" means horizontal neighbours.</summary>
public enum Relation { LeftOf, RightOf, Above, Below, NextTo }

/// <summary>The words and colours of the synthetic world.</summary>
public static class WorldVocabulary
{
    public static readonly Shape[] Shapes = Enum.GetValues<Shape>();
    public static readonly Colour[] Colours = Enum.GetValues<Colour>();
    public static readonly Relation[] Relations = Enum.GetValues<Relation>();

    public static string Word(Shape s) => s.ToString().ToLowerInvariant();
    public static string Word(Colour c) => c.ToString().ToLowerInvariant();
    public static string Word(ObjectSize s) => s.ToString().ToLowerInvariant();

    /// <summary>The relation's words, e.g. ["left", "of"].</summary>
    public static string[] Words(Relation r) => r switch
    {
        Relation.LeftOf => ["left", "of"],
        Relation.RightOf => ["right", "of"],
        Relation.Above => ["above"],
        Relation.Below => ["below"],
        _ => ["next", "to"],
    };

    public static (byte R, byte G, byte B) Rgb(Colour c) => c switch
    {
        Colour.Red => (220, 40, 40),
        Colour.Green => (40, 170, 60),
        Colour.Blue => (40, 80, 225),
        Colour.Yellow => (235, 215, 40),
        Colour.Purple => (150, 60, 190),
        Colour.Orange => (245, 140, 30),
        Colour.White => (245, 245, 245),
        _ => (140, 140, 140),
    };

    /// <summary>Radius as a fraction of the image side.</summary>
    public static double RadiusFraction(ObjectSize s) => s == ObjectSize.Small ? 0.085 : 0.15;

    /// <summary>The relation that says the same with subject and object exchanged (left of ↔ right of, …).</summary>
    public static Relation Converse(Relation r) => r switch
    {
        Relation.LeftOf => Relation.RightOf,
        Relation.RightOf => Relation.LeftOf,
        Relation.Above => Relation.Below,
        Relation.Below => Relation.Above,
        _ => Relation.NextTo,
    };
}
