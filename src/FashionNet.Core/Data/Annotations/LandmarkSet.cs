namespace FashionNet.Data.Annotations;

/// <summary>
/// The landmarks of one image laid out in the 8 <see cref="LandmarkSlot"/>s, with a presence mask saying which slots
/// the annotation fills: upper-body rows fill collar, sleeve and hem; lower-body rows waistline and hem; full-body all.
/// A slot that is not present reads as <see cref="Absent"/> (truncated at the origin), so code that looks only at
/// visibility never takes it for a visible landmark.
/// </summary>
public sealed class LandmarkSet
{
    /// <summary>What an absent slot reads as.</summary>
    public static readonly Landmark Absent = new(0, 0, LandmarkVisibility.Truncated);

    private readonly Landmark[] _slots;

    /// <summary>Creates a set from all 8 slots and the mask of present ones.</summary>
    /// <param name="slots">8 landmarks indexed by <see cref="LandmarkSlot"/>; values of absent slots are ignored.</param>
    /// <param name="presenceMask">Bit <c>i</c> set when slot <c>i</c> is present.</param>
    public LandmarkSet(ReadOnlySpan<Landmark> slots, byte presenceMask)
    {
        if (slots.Length != LandmarkLayout.SlotCount)
            throw new ArgumentException($"Expected {LandmarkLayout.SlotCount} slots, got {slots.Length}.", nameof(slots));
        _slots = new Landmark[LandmarkLayout.SlotCount];
        for (int i = 0; i < _slots.Length; i++)
            _slots[i] = (presenceMask & (1 << i)) != 0 ? slots[i] : Absent;
        PresenceMask = presenceMask;
    }

    /// <summary>
    /// Lays out landmarks given in annotation-file order for a clothes type into their slots
    /// (<see cref="LandmarkLayout.SlotsOf"/>): a lower-body row's third landmark is <see cref="LandmarkSlot.LeftHem"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The count is not the one the clothes type has.</exception>
    public static LandmarkSet FromFileOrder(ClothesType clothesType, ReadOnlySpan<Landmark> landmarks)
    {
        var slots = LandmarkLayout.SlotsOf(clothesType);
        if (landmarks.Length != slots.Count)
            throw new ArgumentException($"{clothesType} clothes have {slots.Count} landmarks, got {landmarks.Length}.", nameof(landmarks));
        Span<Landmark> laidOut = stackalloc Landmark[LandmarkLayout.SlotCount];
        byte mask = 0;
        for (int i = 0; i < landmarks.Length; i++)
        {
            laidOut[(int)slots[i]] = landmarks[i];
            mask |= (byte)(1 << (int)slots[i]);
        }
        return new LandmarkSet(laidOut, mask);
    }

    /// <summary>Bit <c>i</c> set when slot <c>i</c> is filled by the annotation.</summary>
    public byte PresenceMask { get; }

    /// <summary>Number of present slots (6, 4 or 8 for rows of the official files).</summary>
    public int PresentCount => System.Numerics.BitOperations.PopCount(PresenceMask);

    /// <summary>The landmark in a slot, or <see cref="Absent"/> when the slot is not present.</summary>
    public Landmark this[LandmarkSlot slot] => _slots[(int)slot];

    /// <summary>Whether the annotation fills this slot.</summary>
    public bool IsPresent(LandmarkSlot slot) => (PresenceMask & (1 << (int)slot)) != 0;

    /// <summary>All 8 slots, indexed by <see cref="LandmarkSlot"/>.</summary>
    public ReadOnlySpan<Landmark> Slots => _slots;
}
