using System.Numerics;
using SixLabors.ImageSharp.PixelFormats;

namespace FashionNet.Data.Synthetic;

/// <summary>Surface pattern of a synthetic garment; each one is also a texture attribute.</summary>
public enum GarmentPattern
{
    /// <summary>One colour.</summary>
    Solid,

    /// <summary>Horizontal stripes of the two colours.</summary>
    Striped,

    /// <summary>Dots of the second colour on the first.</summary>
    Dotted,

    /// <summary>A checkerboard of the two colours.</summary>
    Checked,

    /// <summary>Upper part in the first colour, lower part in the second.</summary>
    ColourBlock,
}

/// <summary>Sleeve length of a synthetic garment (a shape attribute); lower-body garments have none.</summary>
public enum SleeveLength
{
    /// <summary>No sleeves (lower-body garments).</summary>
    None,

    /// <summary>Sleeveless top.</summary>
    Sleeveless,

    /// <summary>Short sleeves.</summary>
    Short,

    /// <summary>Long sleeves.</summary>
    Long,
}

/// <summary>
/// One garment category of the synthetic set: its DeepFashion name and clothes type, and its silhouette in a garment
/// frame (x in [-1, 1] with the wearer's left at +x, y from 0 at the top to 1 at the bottom) together with the
/// landmark points, which lie just inside the silhouette at the collar, sleeve end, waistline and hem.
/// </summary>
public sealed class GarmentCategory
{
    internal GarmentCategory(string name, ClothesType clothesType, SleeveLength sleeves, float widthScale, Vector2[] rightHalf,
        IReadOnlyDictionary<LandmarkSlot, Vector2> leftLandmarks)
    {
        Name = name;
        ClothesType = clothesType;
        Sleeves = sleeves;
        WidthScale = widthScale;
        // The outline is given for the image-left half (x <= 0, the wearer's right) from the top centre down to the
        // bottom centre; mirroring it closes the symmetric polygon.
        Outline = [.. rightHalf, .. rightHalf.Reverse().Select(p => new Vector2(-p.X, p.Y)).Where(p => p.X != 0)];
        var landmarks = new Vector2[LandmarkLayout.SlotCount];
        var present = new bool[LandmarkLayout.SlotCount];
        foreach ((LandmarkSlot slot, Vector2 point) in leftLandmarks)
        {
            landmarks[(int)slot] = point;
            landmarks[(int)LandmarkLayout.Mirror(slot)] = new Vector2(-point.X, point.Y);
            present[(int)slot] = present[(int)LandmarkLayout.Mirror(slot)] = true;
        }

        if (!present.SequenceEqual(Enumerable.Range(0, LandmarkLayout.SlotCount).Select(s => LandmarkLayout.SlotsOf(clothesType).Contains((LandmarkSlot)s))))
            throw new InvalidOperationException($"Category {name}: landmarks do not match clothes type {clothesType}.");
        Landmarks = landmarks;
    }

    /// <summary>DeepFashion category name (as in <c>list_category_cloth.txt</c>).</summary>
    public string Name { get; }

    /// <summary>Upper, lower or full body, which fixes the landmark slots.</summary>
    public ClothesType ClothesType { get; }

    /// <summary>Sleeve length (a shape attribute).</summary>
    public SleeveLength Sleeves { get; }

    /// <summary>Garment-frame width relative to its height when drawn.</summary>
    public float WidthScale { get; }

    /// <summary>Closed outline in the garment frame.</summary>
    public IReadOnlyList<Vector2> Outline { get; }

    /// <summary>Landmark points in the garment frame, one per slot (zero for slots the clothes type lacks).</summary>
    public IReadOnlyList<Vector2> Landmarks { get; }
}

/// <summary>The fixed vocabulary of the synthetic set: categories, colours, patterns and the attribute list they define.</summary>
public static class GarmentCatalog
{
    /// <summary>Categories, in <c>list_category_cloth.txt</c> order (labels are 1-based indices into this list).</summary>
    public static IReadOnlyList<GarmentCategory> Categories { get; } =
    [
        new("Tee", ClothesType.Upper, SleeveLength.Short, 0.55f,
            [new(0, 0.10f), new(-0.22f, 0), new(-0.5f, 0.06f), new(-0.88f, 0.32f), new(-0.70f, 0.46f), new(-0.46f, 0.34f), new(-0.44f, 1), new(0, 1)],
            Points((LandmarkSlot.LeftCollar, 0.2f, 0.04f), (LandmarkSlot.LeftSleeve, 0.76f, 0.37f), (LandmarkSlot.LeftHem, 0.40f, 0.96f))),
        new("Tank", ClothesType.Upper, SleeveLength.Sleeveless, 0.55f,
            [new(0, 0.14f), new(-0.18f, 0), new(-0.28f, 0), new(-0.30f, 0.14f), new(-0.44f, 0.32f), new(-0.44f, 1), new(0, 1)],
            Points((LandmarkSlot.LeftCollar, 0.21f, 0.03f), (LandmarkSlot.LeftSleeve, 0.36f, 0.26f), (LandmarkSlot.LeftHem, 0.40f, 0.96f))),
        new("Sweater", ClothesType.Upper, SleeveLength.Long, 0.55f,
            [new(0, 0.10f), new(-0.22f, 0), new(-0.52f, 0.06f), new(-0.80f, 0.92f), new(-0.62f, 0.94f), new(-0.47f, 0.32f), new(-0.44f, 1), new(0, 1)],
            Points((LandmarkSlot.LeftCollar, 0.2f, 0.04f), (LandmarkSlot.LeftSleeve, 0.70f, 0.89f), (LandmarkSlot.LeftHem, 0.40f, 0.96f))),
        new("Shorts", ClothesType.Lower, SleeveLength.None, 0.62f,
            [new(0, 0), new(-0.40f, 0), new(-0.50f, 0.75f), new(-0.06f, 0.75f), new(0, 0.30f)],
            Points((LandmarkSlot.LeftWaistline, 0.34f, 0.04f), (LandmarkSlot.LeftHem, 0.28f, 0.71f))),
        new("Skirt", ClothesType.Lower, SleeveLength.None, 0.55f,
            [new(0, 0), new(-0.34f, 0), new(-0.62f, 1), new(0, 1)],
            Points((LandmarkSlot.LeftWaistline, 0.30f, 0.04f), (LandmarkSlot.LeftHem, 0.56f, 0.96f))),
        new("Jeans", ClothesType.Lower, SleeveLength.None, 0.45f,
            [new(0, 0), new(-0.36f, 0), new(-0.40f, 1), new(-0.06f, 1), new(0, 0.28f)],
            Points((LandmarkSlot.LeftWaistline, 0.30f, 0.04f), (LandmarkSlot.LeftHem, 0.23f, 0.96f))),
        new("Dress", ClothesType.FullBody, SleeveLength.Sleeveless, 0.45f,
            [new(0, 0.08f), new(-0.12f, 0), new(-0.2f, 0), new(-0.22f, 0.08f), new(-0.32f, 0.2f), new(-0.28f, 0.42f), new(-0.60f, 1), new(0, 1)],
            Points((LandmarkSlot.LeftCollar, 0.15f, 0.03f), (LandmarkSlot.LeftSleeve, 0.27f, 0.17f),
                (LandmarkSlot.LeftWaistline, 0.24f, 0.42f), (LandmarkSlot.LeftHem, 0.54f, 0.96f))),
        new("Jumpsuit", ClothesType.FullBody, SleeveLength.Short, 0.45f,
            [new(0, 0.08f), new(-0.16f, 0), new(-0.34f, 0.03f), new(-0.58f, 0.18f), new(-0.48f, 0.28f), new(-0.34f, 0.2f), new(-0.32f, 0.42f),
                new(-0.34f, 1), new(-0.05f, 1), new(0, 0.5f)],
            Points((LandmarkSlot.LeftCollar, 0.14f, 0.04f), (LandmarkSlot.LeftSleeve, 0.48f, 0.22f),
                (LandmarkSlot.LeftWaistline, 0.28f, 0.44f), (LandmarkSlot.LeftHem, 0.2f, 0.96f))),
    ];

    /// <summary>Garment colours by attribute name.</summary>
    public static IReadOnlyList<(string Name, Rgb24 Color)> Colors { get; } =
    [
        ("red", new(200, 30, 40)), ("navy", new(30, 40, 110)), ("green", new(40, 140, 60)), ("yellow", new(230, 200, 40)),
        ("black", new(25, 25, 25)), ("white", new(245, 245, 240)), ("pink", new(240, 140, 170)), ("purple", new(120, 50, 140)),
        ("orange", new(240, 120, 30)), ("grey", new(128, 128, 128)),
    ];

    /// <summary>Pattern attribute names, indexed by <see cref="GarmentPattern"/>.</summary>
    public static IReadOnlyList<string> PatternNames { get; } = ["solid", "striped", "dot", "plaid", "colour block"];

    /// <summary>Sleeve attribute names for <see cref="SleeveLength.Sleeveless"/>, <see cref="SleeveLength.Short"/> and <see cref="SleeveLength.Long"/>.</summary>
    public static IReadOnlyList<string> SleeveNames { get; } = ["sleeveless", "short sleeve", "long sleeve"];

    /// <summary>
    /// The attribute list (as in <c>list_attr_cloth.txt</c>): every colour and pattern (type 1, texture), then the
    /// sleeve lengths (type 3, shape). Some names contain spaces, as in DeepFashion.
    /// </summary>
    public static IReadOnlyList<(string Name, int Type)> Attributes { get; } =
        [.. Colors.Select(c => (c.Name, 1)), .. PatternNames.Select(p => (p, 1)), .. SleeveNames.Select(s => (s, 3))];

    /// <summary>Index of the first pattern attribute in <see cref="Attributes"/>.</summary>
    internal static int PatternAttributeOffset => Colors.Count;

    /// <summary>Index of the first sleeve attribute in <see cref="Attributes"/>.</summary>
    internal static int SleeveAttributeOffset => Colors.Count + PatternNames.Count;

    private static Dictionary<LandmarkSlot, Vector2> Points(params (LandmarkSlot Slot, float X, float Y)[] points) =>
        points.ToDictionary(p => p.Slot, p => new Vector2(p.X, p.Y));
}
