using FashionNet.Data.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Data.Loading;

/// <summary>
/// One batch of N samples as CPU tensors, ready for the model. The batch owns its tensors: dispose it (or move the
/// tensors into a dispose scope) when the step is done. Landmarks are in pixels of the network input.
/// </summary>
public sealed class FashionBatch : IDisposable
{
    internal FashionBatch(Tensor images, Tensor landmarks, Tensor visibility, Tensor presence, Tensor categories, Tensor attributes,
        Tensor attributeMask, Tensor itemIndices, int[] sampleIndices, CropGeometry[] geometries, ImageSize[] sourceSizes,
        ImageOrientation[] sourceOrientations)
    {
        Images = images;
        Landmarks = landmarks;
        Visibility = visibility;
        Presence = presence;
        Categories = categories;
        Attributes = attributes;
        AttributeMask = attributeMask;
        ItemIndices = itemIndices;
        SampleIndices = sampleIndices;
        Geometries = geometries;
        SourceSizes = sourceSizes;
        SourceOrientations = sourceOrientations;
    }

    /// <summary>Number of samples N.</summary>
    public int Count => SampleIndices.Count;

    /// <summary>Images, float32 <c>[N, 3, H, W]</c>, normalized by the loader's normalizer (RGB 0..255 without one).</summary>
    public Tensor Images { get; }

    /// <summary>Landmarks, float32 <c>[N, 8, 2]</c>: (x, y) in network-input pixels per <see cref="LandmarkSlot"/>; 0 where absent.</summary>
    public Tensor Landmarks { get; }

    /// <summary>Visibility codes, int64 <c>[N, 8]</c>: 0 visible, 1 occluded, 2 truncated (also for absent slots).</summary>
    public Tensor Visibility { get; }

    /// <summary>Whether the annotation has the slot, bool <c>[N, 8]</c>.</summary>
    public Tensor Presence { get; }

    /// <summary>0-based category class, int64 <c>[N]</c>; -1 where the dataset has none.</summary>
    public Tensor Categories { get; }

    /// <summary>Attribute targets, float32 <c>[N, A]</c>: 1 positive, 0 otherwise (A = 0 without attributes).</summary>
    public Tensor Attributes { get; }

    /// <summary>Attribute mask, float32 <c>[N, A]</c>: 1 where the label is known, 0 where unknown or missing.</summary>
    public Tensor AttributeMask { get; }

    /// <summary>Item (identity) index, int64 <c>[N]</c>; -1 where the dataset has none.</summary>
    public Tensor ItemIndices { get; }

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

    /// <inheritdoc />
    public void Dispose()
    {
        Images.Dispose();
        Landmarks.Dispose();
        Visibility.Dispose();
        Presence.Dispose();
        Categories.Dispose();
        Attributes.Dispose();
        AttributeMask.Dispose();
        ItemIndices.Dispose();
    }
}
