namespace FashionNet.Data;

/// <summary>DeepFashion clothes type, which fixes which landmarks an annotation row carries.</summary>
public enum ClothesType
{
    /// <summary>Upper-body clothes: collar, sleeve and hem landmarks (6).</summary>
    Upper = 1,

    /// <summary>Lower-body clothes: waistline and hem landmarks (4).</summary>
    Lower = 2,

    /// <summary>Full-body clothes: all 8 landmarks.</summary>
    FullBody = 3,
}

/// <summary>DeepFashion landmark visibility, with the dataset's own codes.</summary>
public enum LandmarkVisibility : byte
{
    /// <summary>Visible in the image (code 0).</summary>
    Visible = 0,

    /// <summary>Inside the image but occluded (code 1).</summary>
    Occluded = 1,

    /// <summary>Outside the image or crop (code 2).</summary>
    Truncated = 2,
}

/// <summary>
/// The 8 landmark slots every sample is laid out in, whatever its clothes type, so slot identity is never lost:
/// upper-body rows fill collar, sleeve and hem; lower-body rows waistline and hem; full-body rows all.
/// </summary>
public enum LandmarkSlot
{
    /// <summary>Left collar.</summary>
    LeftCollar = 0,

    /// <summary>Right collar.</summary>
    RightCollar = 1,

    /// <summary>Left sleeve.</summary>
    LeftSleeve = 2,

    /// <summary>Right sleeve.</summary>
    RightSleeve = 3,

    /// <summary>Left waistline.</summary>
    LeftWaistline = 4,

    /// <summary>Right waistline.</summary>
    RightWaistline = 5,

    /// <summary>Left hem.</summary>
    LeftHem = 6,

    /// <summary>Right hem.</summary>
    RightHem = 7,
}

/// <summary>One landmark in image pixels.</summary>
/// <param name="X">Horizontal position in pixels.</param>
/// <param name="Y">Vertical position in pixels.</param>
/// <param name="Visibility">Whether it is visible, occluded or truncated.</param>
public readonly record struct Landmark(float X, float Y, LandmarkVisibility Visibility);

/// <summary>Slot layout rules shared by readers, transforms and the model.</summary>
public static class LandmarkLayout
{
    /// <summary>Number of landmark slots of every sample.</summary>
    public const int SlotCount = 8;

    private static readonly LandmarkSlot[] UpperSlots =
        [LandmarkSlot.LeftCollar, LandmarkSlot.RightCollar, LandmarkSlot.LeftSleeve, LandmarkSlot.RightSleeve, LandmarkSlot.LeftHem, LandmarkSlot.RightHem];

    private static readonly LandmarkSlot[] LowerSlots =
        [LandmarkSlot.LeftWaistline, LandmarkSlot.RightWaistline, LandmarkSlot.LeftHem, LandmarkSlot.RightHem];

    private static readonly LandmarkSlot[] FullBodySlots = Enum.GetValues<LandmarkSlot>();

    /// <summary>The slots, in annotation-file order, that a row of this clothes type fills.</summary>
    public static IReadOnlyList<LandmarkSlot> SlotsOf(ClothesType clothesType) => clothesType switch
    {
        ClothesType.Upper => UpperSlots,
        ClothesType.Lower => LowerSlots,
        ClothesType.FullBody => FullBodySlots,
        _ => throw new ArgumentOutOfRangeException(nameof(clothesType), clothesType, "Unknown clothes type."),
    };

    /// <summary>The slot that a horizontal flip moves this slot's landmark into (left and right swap).</summary>
    public static LandmarkSlot Mirror(LandmarkSlot slot) => (LandmarkSlot)((int)slot ^ 1);
}
