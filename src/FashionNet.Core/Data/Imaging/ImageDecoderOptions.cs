namespace FashionNet.Data.Imaging;

/// <summary>Limits that keep a bad or hostile image file from costing unbounded memory or time.</summary>
public sealed record ImageDecoderOptions
{
    /// <summary>Largest accepted width x height, checked from the header before any pixel buffer is allocated.
    /// The default (40 megapixels) admits every DeepFashion image (at most a few megapixels) with a wide margin.</summary>
    public long MaxPixels { get; init; } = 40_000_000;

    /// <summary>Largest accepted file size in bytes (default 64 MiB); the file is read whole into memory before decoding.</summary>
    public long MaxFileBytes { get; init; } = 64L << 20;

    /// <summary>Upper bound on any one pixel buffer ImageSharp may allocate, in megabytes (default 256), a second line of
    /// defence behind <see cref="MaxPixels"/> for formats whose header understates what decoding allocates.</summary>
    public int AllocationLimitMegabytes { get; init; } = 256;

    /// <summary>Size of ImageSharp's retained buffer pool in megabytes (default 64), so decoding many images does not
    /// keep growing the process.</summary>
    public int PoolSizeMegabytes { get; init; } = 64;

    /// <summary>Whether a JPEG must end with its end-of-image marker (default true): ImageSharp decodes a cut-off
    /// JPEG without complaint and fills the missing part grey, which would silently train on broken images.</summary>
    public bool RequireCompleteJpeg { get; init; } = true;

    /// <summary>Checks the options, naming the bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is not positive.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPixels, 1, nameof(MaxPixels));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFileBytes, 1, nameof(MaxFileBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxFileBytes, (long)Array.MaxLength, nameof(MaxFileBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(AllocationLimitMegabytes, 1, nameof(AllocationLimitMegabytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(PoolSizeMegabytes, 0, nameof(PoolSizeMegabytes));
    }
}
