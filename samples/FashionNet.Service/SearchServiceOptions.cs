namespace FashionNet.Service;

/// <summary>Everything <see cref="SearchService.Create"/> needs: what to serve, where, and the limits that keep it healthy.</summary>
public sealed record SearchServiceOptions
{
    /// <summary>The default address: loopback only.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>The retrieval index file to search.</summary>
    public required string IndexPath { get; init; }

    /// <summary>The checkpoint the index was built with; null to use the one the index records (or the baseline).</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Where to listen (default <see cref="DefaultUrl"/>; port 0 picks a free port).</summary>
    public IReadOnlyList<string> Urls { get; init; } = [DefaultUrl];

    /// <summary>
    /// The only folder gallery photos are served from; null for the deepest folder that holds every photo the index
    /// names. Entries outside it are searched but their photos are not served.
    /// </summary>
    public string? GalleryRoot { get; init; }

    /// <summary>Largest request body in bytes (default 16 MiB): a bigger upload is answered 413.</summary>
    public long MaxRequestBytes { get; init; } = 16L << 20;

    /// <summary>Largest photo in pixels, checked from its header before decoding (default 40 megapixels): 400 beyond.</summary>
    public long MaxPixels { get; init; } = 40_000_000;

    /// <summary>Searches worked on at once (default 4); more wait in the queue.</summary>
    public int MaxConcurrentSearches { get; init; } = 4;

    /// <summary>Searches that may wait for a slot (default 32); beyond that they are answered 503 with Retry-After.</summary>
    public int QueueLimit { get; init; } = 32;

    /// <summary>Time limit of one request, waiting in the queue included (default 30 s): 504 beyond.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Matches per search when the request does not say (default 10).</summary>
    public int DefaultTop { get; init; } = 10;

    /// <summary>Most matches one search may ask for (default 100): 400 beyond.</summary>
    public int MaxTop { get; init; } = 100;

    /// <summary>
    /// Most photos of concurrent searches the model takes in one forward pass. 1 (the default) runs one pass per search
    /// on its own request's thread; more pools the searches that queue up while a pass runs into the next one. On the
    /// 2-core CPU development machine pooling (8) was not faster (benchmarks/README.md), hence the default.
    /// </summary>
    public int MaxBatchSize { get; init; } = 1;

    /// <summary>How long Ctrl+C or SIGTERM waits for requests in flight to finish (default 30 s).</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Where the model runs (the CPU when null; a CUDA device needs a CUDA LibTorch).</summary>
    public TorchSharp.torch.Device? Device { get; init; }

    /// <summary>
    /// Loads the model (the checkpoint, or the one the index records) with the runtime of the host's choice; null for
    /// LibTorch on <see cref="Device"/>. The ONNX Runtime loader (FashionNet.Core.Onnx) serves the same predictions.
    /// </summary>
    public FashionNet.Inference.IEmbedderLoader? Embedders { get; init; }

    /// <summary>Checks the options, naming the bad one.</summary>
    /// <exception cref="ArgumentException">An option is missing or out of range.</exception>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(IndexPath, nameof(IndexPath));
        if (Urls is null || Urls.Count == 0) throw new ArgumentException("At least one URL to listen on is needed.", nameof(Urls));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequestBytes, 1, nameof(MaxRequestBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxRequestBytes, (long)Array.MaxLength, nameof(MaxRequestBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPixels, 1, nameof(MaxPixels));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentSearches, 1, nameof(MaxConcurrentSearches));
        ArgumentOutOfRangeException.ThrowIfNegative(QueueLimit, nameof(QueueLimit));
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RequestTimeout), RequestTimeout, "Must be positive.");
        if (ShutdownTimeout < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ShutdownTimeout), ShutdownTimeout, "Must not be negative.");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTop, 1, nameof(MaxTop));
        ArgumentOutOfRangeException.ThrowIfLessThan(DefaultTop, 1, nameof(DefaultTop));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(DefaultTop, MaxTop, nameof(DefaultTop));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchSize, 1, nameof(MaxBatchSize));
    }
}
