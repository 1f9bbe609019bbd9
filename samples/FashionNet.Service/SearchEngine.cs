using System.Diagnostics;
using FashionNet.Data.Imaging;
using FashionNet.Inference;
using FashionNet.Retrieval;

namespace FashionNet.Service;

/// <summary>
/// The model and the index behind the API: loaded once in the background (readiness says when), then shared by every
/// request. A search decodes the photo under the decoder's limits, frames it like the index's photos, runs the model
/// (pooled with concurrent searches into one forward pass by <see cref="PredictionBatcher"/> when batching is on) and
/// searches the index. Disposed with the host, after the server has drained its requests.
/// </summary>
internal sealed class SearchEngine : IDisposable
{
    private readonly SearchServiceOptions _options;
    private readonly ImageDecoder _decoder;
    private readonly TaskCompletionSource _loadCompleted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Loaded? _loaded;
    private volatile string? _loadError;
    private int _disposed;

    public SearchEngine(SearchServiceOptions options)
    {
        _options = options;
        _decoder = new ImageDecoder(new ImageDecoderOptions { MaxFileBytes = options.MaxRequestBytes, MaxPixels = options.MaxPixels });
    }

    /// <summary>Whether the model and the index are loaded.</summary>
    public bool IsReady => Volatile.Read(ref _loaded) is not null;

    /// <summary>Completes when loading has finished: successfully, or with its error.</summary>
    public Task WhenLoaded => _loadCompleted.Task;

    /// <summary>Why loading failed, or null.</summary>
    public string? LoadError => _loadError;

    /// <summary>The gallery, once loaded.</summary>
    public GalleryCatalog? Catalog => Volatile.Read(ref _loaded)?.Catalog;

    /// <summary>The embedder's fingerprint, once loaded.</summary>
    public string Model => Volatile.Read(ref _loaded)?.Search.Embedder.Fingerprint ?? "";

    /// <summary>Loads the model and the index; a failure is kept for readiness to report.</summary>
    public void Load()
    {
        IImageEmbedder? embedder = null;
        VisualSearch? search = null;
        try
        {
            var loader = _options.Embedders ?? new TorchEmbedderLoader(new InferenceOptions { Device = _options.Device });
            embedder = _options.CheckpointPath is { } checkpoint ? loader.LoadCheckpoint(checkpoint) : VisualSearch.LoadEmbedderFor(_options.IndexPath, loader: loader);
            search = VisualSearch.Open(_options.IndexPath, embedder);
            if (search.Index.Count == 0) throw new RetrievalIndexException(search.Index.FilePath, "it is empty: there is nothing to search.");
            var catalog = GalleryCatalog.Read(search.Index, _options.GalleryRoot);
            var batcher = _options.MaxBatchSize > 1 ? new PredictionBatcher(embedder, _options.MaxBatchSize) : null;
            Volatile.Write(ref _loaded, new Loaded(embedder, search, catalog, batcher));
            if (Volatile.Read(ref _disposed) != 0) Dispose();
            _loadCompleted.TrySetResult();
        }
        catch (Exception e)
        {
            search?.Dispose();
            embedder?.Dispose();
            _loadError = e.Message;
            _loadCompleted.TrySetException(e);
            throw;
        }
    }

    /// <summary>Searches the gallery with one encoded photo.</summary>
    /// <param name="photo">The photo's bytes.</param>
    /// <param name="top">How many matches.</param>
    /// <param name="category">Only matches of this category, or null for all.</param>
    /// <param name="arrival">When the request arrived (for the total time).</param>
    /// <param name="cancellationToken">The request's time limit or abort.</param>
    /// <exception cref="RequestRejectedException">The photo cannot be used (the status says why) or the service is not ready.</exception>
    public async Task<SearchResponse> SearchAsync(byte[] photo, int top, string? category, long arrival, CancellationToken cancellationToken)
    {
        var loaded = Volatile.Read(ref _loaded) ?? throw new RequestRejectedException(StatusCodes.Status503ServiceUnavailable, NotReadyMessage);
        if (category is not null && !loaded.Catalog.HasCategory(category))
            throw new RequestRejectedException(StatusCodes.Status400BadRequest,
                $"category '{category}' is not in the gallery; it has: {string.Join(", ", loaded.Catalog.Categories.Select(c => c.Name))}.");

        long start = Stopwatch.GetTimestamp();
        PreparedImage prepared;
        try
        {
            using var image = _decoder.Decode(photo, "the uploaded photo");
            prepared = PreparedImage.From(image, loaded.Search.Embedder.ImageSize, loaded.Search.Embedder.Normalizer);
        }
        catch (ImageDecodeException e)
        {
            throw new RequestRejectedException(StatusFor(e.Failure), e.Message);
        }

        cancellationToken.ThrowIfCancellationRequested();
        long decoded = Stopwatch.GetTimestamp();
        var (prediction, batchSize) = loaded.Batcher is { } batcher
            ? await batcher.PredictAsync(prepared, cancellationToken).ConfigureAwait(false)
            : (PredictionBatcher.Run(loaded.Embedder, [prepared])[0], 1);
        long predicted = Stopwatch.GetTimestamp();

        var matches = Matches(loaded, prediction.Embedding, top, category);
        long searched = Stopwatch.GetTimestamp();

        var landmarks = prediction.Landmarks.Select(l =>
        {
            var (x, y) = prepared.ToSource(l.X, l.Y);
            return new LandmarkPoint(JsonNaming(l.Slot.ToString()), x, y, l.VisibilityProbability, l.Visible);
        }).ToArray();
        // A one-class head (a model trained without category labels, as on In-shop alone) says nothing: report none.
        var categories = prediction.TopCategories.Count > 1 ? prediction.TopCategories.Select(c => new CategoryGuess(c.Label, c.Probability)).ToArray() : [];
        var timing = new SearchTiming(Stopwatch.GetElapsedTime(arrival, searched).TotalMilliseconds, Stopwatch.GetElapsedTime(start, decoded).TotalMilliseconds,
            Stopwatch.GetElapsedTime(decoded, predicted).TotalMilliseconds, Stopwatch.GetElapsedTime(predicted, searched).TotalMilliseconds, batchSize);
        return new SearchResponse(matches, landmarks, categories, new PhotoSize(prepared.SourceSize.Width, prepared.SourceSize.Height), timing);
    }

    /// <summary>The message of a request that arrives before the model and index are loaded.</summary>
    public string NotReadyMessage => _loadError is { } error ? $"the service failed to load: {error}" : "the model and the index are still loading; try again shortly.";

    public void Dispose()
    {
        Interlocked.Exchange(ref _disposed, 1);
        if (Interlocked.Exchange(ref _loaded, null) is not { } loaded) return;
        loaded.Batcher?.Dispose();
        loaded.Search.Dispose();
        loaded.Embedder.Dispose();
    }

    private static SearchMatch[] Matches(Loaded loaded, float[] embedding, int top, string? category)
    {
        var index = loaded.Search.Index;
        var catalog = loaded.Catalog;
        // A category filter ranks the whole gallery and keeps that category's best: exact, and cheap at gallery sizes.
        var ranked = category is null
            ? index.Search(embedding, Math.Min(top, index.Count))
            : index.Search(embedding, index.Count).Where(m => catalog.Category(m.EntryIndex) == category).Take(top).ToArray();
        return [.. ranked.Select((m, i) => new SearchMatch(i + 1, m.Score, m.ItemId, m.EntryIndex, catalog.ImageUrl(m.EntryIndex), catalog.Category(m.EntryIndex)))];
    }

    private static int StatusFor(ImageDecodeFailure failure) => failure switch
    {
        ImageDecodeFailure.TooManyBytes => StatusCodes.Status413PayloadTooLarge,
        ImageDecodeFailure.UnsupportedFormat => StatusCodes.Status415UnsupportedMediaType,
        _ => StatusCodes.Status400BadRequest,
    };

    private static string JsonNaming(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    private sealed record Loaded(IImageEmbedder Embedder, VisualSearch Search, GalleryCatalog Catalog, PredictionBatcher? Batcher);
}
