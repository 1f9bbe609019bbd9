namespace FashionNet.Data.Synthetic;

/// <summary>Image file format of a written synthetic set.</summary>
public enum SyntheticImageFormat
{
    /// <summary>JPEG, like DeepFashion.</summary>
    Jpeg,

    /// <summary>Lossless PNG (pixels round-trip exactly).</summary>
    Png,
}

/// <summary>Size and randomness of a synthetic DeepFashion set.</summary>
public sealed record SyntheticDatasetOptions
{
    /// <summary>Number of garment items (default 300); at most <see cref="SyntheticDataset.MaxItems"/>, so every item
    /// has its own combination of category, colours and pattern.</summary>
    public int Items { get; init; } = 300;

    /// <summary>Images per item (default 4, at least 2 so every test item has a query and a gallery image).</summary>
    public int ViewsPerItem { get; init; } = 4;

    /// <summary>Width and height of every image in pixels (default 128).</summary>
    public int ImageSize { get; init; } = 128;

    /// <summary>Seed of everything random; the same seed gives the same set, byte for byte.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Share of items in the training split (default 0.5); the rest are split into query and gallery images.</summary>
    public double TrainItemFraction { get; init; } = 0.5;

    /// <summary>Probability that a view has an occluder drawn over the garment (default 0.3).</summary>
    public double OcclusionProbability { get; init; } = 0.3;

    /// <summary>Image file format (default JPEG).</summary>
    public SyntheticImageFormat ImageFormat { get; init; } = SyntheticImageFormat.Jpeg;

    /// <summary>JPEG quality, 1..100 (default 90).</summary>
    public int JpegQuality { get; init; } = 90;

    /// <summary>Checks the options, naming the bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Items, 2, nameof(Items));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Items, SyntheticDataset.MaxItems, nameof(Items));
        ArgumentOutOfRangeException.ThrowIfLessThan(ViewsPerItem, 2, nameof(ViewsPerItem));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ViewsPerItem, 99, nameof(ViewsPerItem));
        ArgumentOutOfRangeException.ThrowIfLessThan(ImageSize, 32, nameof(ImageSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ImageSize, 1024, nameof(ImageSize));
        if (!(TrainItemFraction > 0 && TrainItemFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(TrainItemFraction), TrainItemFraction, "Must be in (0, 1).");
        if (!(OcclusionProbability >= 0 && OcclusionProbability <= 1))
            throw new ArgumentOutOfRangeException(nameof(OcclusionProbability), OcclusionProbability, "Must be in [0, 1].");
        ArgumentOutOfRangeException.ThrowIfLessThan(JpegQuality, 1, nameof(JpegQuality));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(JpegQuality, 100, nameof(JpegQuality));
    }
}
