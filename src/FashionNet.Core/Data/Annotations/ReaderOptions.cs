namespace FashionNet.Data.Annotations;

/// <summary>How <see cref="DeepFashionReader"/> treats problems and what it checks.</summary>
public sealed record ReaderOptions
{
    /// <summary>Strict reading (the default): the first problem throws a <see cref="DeepFashionFormatException"/>.</summary>
    public static ReaderOptions Strict { get; } = new();

    /// <summary>
    /// Skip bad rows instead of throwing, and record every skip in <see cref="FashionDataset.Report"/>. Problems with a
    /// whole file (missing required file, empty or binary file, bad count line or header) still throw.
    /// </summary>
    public bool Lenient { get; init; }

    /// <summary>Check that every image file exists under the dataset root (default on; turn off for speed).</summary>
    public bool CheckImageFiles { get; init; } = true;
}
