using FashionNet.Data.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Data.Loading;

/// <summary>
/// One batch of N samples as CPU tensors, ready for the model. The batch owns its tensors: dispose it (or move the
/// tensors into a dispose scope) when the step is done.
/// </summary>
public sealed class FashionBatch : IDisposable
{
    internal FashionBatch(Tensor images, LandmarkTargets landmarks, Tensor categories, Tensor attributes, Tensor attributeMask, Tensor itemIndices,
        BatchLabelCounts labelCounts, int[] sampleIndices, CropGeometry[] geometries, ImageSize[] sourceSizes, ImageOrientation[] sourceOrientations,
        IReadOnlyList<SkippedImage> skippedImages)
    {
        Images = images;
        Landmarks = landmarks;
        Categories = categories;
        Attributes = attributes;
        AttributeMask = attributeMask;
        ItemIndices = itemIndices;
        LabelCounts = labelCounts;
        SampleIndices = sampleIndices;
        Geometries = geometries;
        SourceSizes = sourceSizes;
        SourceOrientations = sourceOrientations;
        SkippedImages = skippedImages;
    }

    /// <summary>Number of samples N.</summary>
    public int Count => SampleIndices.Count;

    /// <summary>Images, float32 <c>[N, 3, H, W]</c>, normalized by the loader's normalizer (RGB 0..255 without one).</summary>
    public Tensor Images { get; }

    /// <summary>The landmark labels, normalized by the network input size (see <see cref="LandmarkTargets"/>).</summary>
    public LandmarkTargets Landmarks { get; }

    /// <summary>0-based category class, int64 <c>[N]</c>; -1 where the dataset has none.</summary>
    public Tensor Categories { get; }

    /// <summary>Attribute targets, float32 <c>[N, A]</c>: 1 positive, 0 otherwise (A = 0 without attributes).</summary>
    public Tensor Attributes { get; }

    /// <summary>Attribute mask, float32 <c>[N, A]</c>: 1 where the label is known, 0 where unknown or missing.</summary>
    public Tensor AttributeMask { get; }

    /// <summary>Item (identity) index, int64 <c>[N]</c>; -1 where the dataset has none.</summary>
    public Tensor ItemIndices { get; }

    /// <summary>How many samples carry each kind of label, counted on the host while loading (asking costs no device synchronisation).</summary>
    public BatchLabelCounts LabelCounts { get; }

    /// <summary>Indices of the samples in the dataset, in batch order.</summary>
    public IReadOnlyList<int> SampleIndices { get; }

    /// <summary>
    /// The crop of each sample in its upright image, to map predictions back to source-image pixels
    /// (<see cref="CropGeometry.UnmapPoint"/>, then <see cref="ImageOrientations.ToStored"/>).
    /// </summary>
    public IReadOnlyList<CropGeometry> Geometries { get; }

    /// <summary>Width and height of each source image as stored (the grid of its annotations), the frame landmark errors are normalized by.</summary>
    public IReadOnlyList<ImageSize> SourceSizes { get; }

    /// <summary>The EXIF orientation of each source image, which the loader applied to its pixels and annotations.</summary>
    public IReadOnlyList<ImageOrientation> SourceOrientations { get; }

    /// <summary>Samples of this batch left out because their image could not be read (only with <see cref="DataLoaderOptions.SkipBadImages"/>).</summary>
    public IReadOnlyList<SkippedImage> SkippedImages { get; }

    /// <summary>
    /// The batch with its tensors on <paramref name="device"/> (copies the caller owns; the host-side information is
    /// shared). From pinned host memory (<see cref="DataLoaderOptions.PinMemory"/>) the copies to a GPU do not block.
    /// </summary>
    /// <param name="device">The model's device.</param>
    public FashionBatch To(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        bool nonBlocking = device.type == DeviceType.CUDA && Images.is_pinned();
        Tensor Move(Tensor tensor) => tensor.to(device, non_blocking: nonBlocking);
        var landmarks = new LandmarkTargets(Move(Landmarks.Positions), Move(Landmarks.Visible), Move(Landmarks.Labelled), Landmarks.LabelledSamples);
        return new FashionBatch(Move(Images), landmarks, Move(Categories), Move(Attributes), Move(AttributeMask), Move(ItemIndices), LabelCounts,
            [.. SampleIndices], [.. Geometries], [.. SourceSizes], [.. SourceOrientations], SkippedImages);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Images.Dispose();
        Landmarks.Dispose();
        Categories.Dispose();
        Attributes.Dispose();
        AttributeMask.Dispose();
        ItemIndices.Dispose();
    }
}

/// <summary>How many samples of a batch carry each kind of label.</summary>
/// <param name="Landmarks">Samples with at least one annotated landmark slot.</param>
/// <param name="Categories">Samples with a category.</param>
/// <param name="Attributes">Samples with attribute labels.</param>
/// <param name="Items">Samples with an item identity.</param>
public readonly record struct BatchLabelCounts(int Landmarks, int Categories, int Attributes, int Items);

/// <summary>An image the loader could not read and left out of its batch.</summary>
/// <param name="SampleIndex">The sample's index in the dataset.</param>
/// <param name="ImagePath">The image file.</param>
/// <param name="Reason">Why it could not be read.</param>
public sealed record SkippedImage(int SampleIndex, string ImagePath, string Reason);
