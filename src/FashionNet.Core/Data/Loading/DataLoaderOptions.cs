namespace FashionNet.Data.Loading;

/// <summary>Parallelism, buffering and seed of a <see cref="FashionDataLoader"/>.</summary>
public sealed record DataLoaderOptions
{
    /// <summary>Batches decoded and augmented at the same time, each on its own thread-pool worker (default: the
    /// number of cores). The result does not depend on it.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>Most finished batches waiting for the consumer (default 4): bounds memory when the trainer is slower.</summary>
    public int Prefetch { get; init; } = 4;

    /// <summary>Seed of the augmentation; each sample's random stream derives from it, the epoch and its batch position.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// Leave images that cannot be read (missing, truncated, corrupt, too large) out of their batch instead of failing
    /// the epoch; each one is reported in <see cref="FashionBatch.SkippedImages"/>. Off by default: a bad image then
    /// stops the epoch with an error naming the file.
    /// </summary>
    public bool SkipBadImages { get; init; }

    /// <summary>
    /// With <see cref="SkipBadImages"/>: the epoch stops with an error once more than this share of its images has
    /// been skipped (default 0.01), since a dataset that bad is more likely a wrong folder than a few broken files.
    /// </summary>
    public double MaxBadImageFraction { get; init; } = 0.01;

    /// <summary>
    /// Put each batch's images in pinned (page-locked) host memory, so that copying them to a GPU does not block the
    /// host (<see cref="FashionBatch.To"/>). Only with CUDA: the CPU build of LibTorch has no pinned memory.
    /// </summary>
    public bool PinMemory { get; init; }

    /// <summary>Checks the options, naming the bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Workers, 1, nameof(Workers));
        ArgumentOutOfRangeException.ThrowIfLessThan(Prefetch, 1, nameof(Prefetch));
        if (PinMemory && !TorchSharp.torch.cuda.is_available())
            throw new ArgumentException("Pinned memory needs CUDA, which TorchSharp does not find here.", nameof(PinMemory));
        if (!(MaxBadImageFraction is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(MaxBadImageFraction), MaxBadImageFraction, "Must be in [0, 1].");
    }
}
