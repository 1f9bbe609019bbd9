using FashionNet.Data.Annotations;
using static TorchSharp.torch;

namespace FashionNet.Data;

/// <summary>
/// The landmark labels of a batch, in the one form that the model's forward pass (pooling at true landmarks) and the
/// training objective both read: positions normalized by the network input's width and height (what the pose branch
/// predicts and landmark pooling takes), whether each slot's landmark is visible, and whether the annotation has the
/// slot at all. Built once, by the data loader, from the annotation. DeepFashion's visibility codes (where 0 means
/// visible) stay in <see cref="LandmarkVisibility"/> and never travel as a tensor, so no mask can be read inverted.
/// </summary>
public sealed class LandmarkTargets : IDisposable
{
    /// <summary>Wraps label tensors, taking ownership of them.</summary>
    /// <param name="positions">float32 <c>[N, L, 2]</c>, (x / width, y / height) of the network input.</param>
    /// <param name="visible">bool <c>[N, L]</c>, true where the slot is labelled and its landmark visible.</param>
    /// <param name="labelled">bool <c>[N, L]</c>, true where the annotation has the slot (visible or not).</param>
    /// <param name="labelledSamples">How many of the N samples have at least one labelled slot (known on the host, so asking costs no device synchronisation).</param>
    /// <exception cref="ArgumentException">A shape or dtype is wrong, or a visible slot is not labelled.</exception>
    public LandmarkTargets(Tensor positions, Tensor visible, Tensor labelled, int labelledSamples)
    {
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(visible);
        ArgumentNullException.ThrowIfNull(labelled);
        if (positions.dim() != 3 || positions.shape[2] != 2 || positions.dtype != ScalarType.Float32)
            throw new ArgumentException($"Expected float32 positions [N, L, 2], got {positions.dtype} [{string.Join(", ", positions.shape)}].", nameof(positions));
        long[] slots = positions.shape[..2];
        if (visible.dtype != ScalarType.Bool || !visible.shape.SequenceEqual(slots))
            throw new ArgumentException($"Expected a bool mask [{string.Join(", ", slots)}], got {visible.dtype} [{string.Join(", ", visible.shape)}].", nameof(visible));
        if (labelled.dtype != ScalarType.Bool || !labelled.shape.SequenceEqual(slots))
            throw new ArgumentException($"Expected a bool mask [{string.Join(", ", slots)}], got {labelled.dtype} [{string.Join(", ", labelled.shape)}].", nameof(labelled));
        ArgumentOutOfRangeException.ThrowIfNegative(labelledSamples);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(labelledSamples, slots[0]);
        Positions = positions;
        Visible = visible;
        Labelled = labelled;
        LabelledSamples = labelledSamples;
    }

    /// <summary>
    /// The targets of landmark sets given in network-input pixels (e.g. mapped through the sample's crop by
    /// <see cref="Imaging.ImageTransform.MapLandmarks"/>); a null set is a sample without landmark annotation.
    /// </summary>
    /// <param name="sets">One set (or null) per sample.</param>
    /// <param name="inputWidth">Network input width in pixels.</param>
    /// <param name="inputHeight">Network input height in pixels.</param>
    public static LandmarkTargets FromInputPixels(IReadOnlyList<LandmarkSet?> sets, int inputWidth, int inputHeight)
    {
        ArgumentNullException.ThrowIfNull(sets);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputHeight, 1);
        const int slots = LandmarkLayout.SlotCount;
        int n = sets.Count, labelledSamples = 0;
        var positions = new float[n * slots * 2];
        var visible = new bool[n * slots];
        var labelled = new bool[n * slots];
        for (int i = 0; i < n; i++)
        {
            if (sets[i] is not { } set) continue;
            if (set.PresenceMask != 0) labelledSamples++;
            for (int slot = 0; slot < slots; slot++)
            {
                if (!set.IsPresent((LandmarkSlot)slot)) continue;
                Landmark landmark = set[(LandmarkSlot)slot];
                int at = i * slots + slot;
                positions[2 * at] = landmark.X / inputWidth;
                positions[2 * at + 1] = landmark.Y / inputHeight;
                labelled[at] = true;
                visible[at] = landmark.Visibility == LandmarkVisibility.Visible;
            }
        }
        // Host tensors, like every batch tensor the loader makes; the trainer moves them to the model's device.
        return new LandmarkTargets(tensor(positions, [n, slots, 2], device: CPU), tensor(visible, [n, slots], device: CPU),
            tensor(labelled, [n, slots], device: CPU), labelledSamples);
    }

    /// <summary>float32 <c>[N, L, 2]</c>: (x / width, y / height) of the network input; 0 where a slot is not labelled.</summary>
    public Tensor Positions { get; }

    /// <summary>bool <c>[N, L]</c>: the slot is labelled and its landmark visible.</summary>
    public Tensor Visible { get; }

    /// <summary>bool <c>[N, L]</c>: the annotation has the slot (its landmark visible, occluded or cut off).</summary>
    public Tensor Labelled { get; }

    /// <summary>How many samples have at least one labelled slot; 0 means the batch carries no landmark labels.</summary>
    public int LabelledSamples { get; }

    /// <summary>Number of samples N.</summary>
    public long Count => Positions.shape[0];

    /// <inheritdoc />
    public void Dispose()
    {
        Positions.Dispose();
        Visible.Dispose();
        Labelled.Dispose();
    }
}
