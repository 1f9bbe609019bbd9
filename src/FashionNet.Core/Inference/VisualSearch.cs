using FashionNet.Data.Annotations;
using FashionNet.Retrieval;
using static TorchSharp.torch;

namespace FashionNet.Inference;

/// <summary>An image to put into a retrieval index, with the item id it shows and its category (empty when unknown).</summary>
/// <param name="ImagePath">The image file.</param>
/// <param name="ItemId">The item the image shows; empty when unknown.</param>
/// <param name="Category">The image's category, for filtered searches of stores that keep it; empty when unknown.</param>
public sealed record GalleryImage(string ImagePath, string ItemId = "", string Category = "");

/// <summary>How <see cref="VisualSearch.AddToStoreAsync(IWritableGalleryStore, IImageEmbedder, FashionDataset, IReadOnlyList{int}, GalleryLoadOptions?, IProgress{int}?, CancellationToken)"/> loads a store.</summary>
public sealed record GalleryLoadOptions
{
    /// <summary>
    /// Entries embedded and written per store batch (default 1,024): a crash loses at most one batch of work, and a re-run
    /// embeds only what is not stored yet.
    /// </summary>
    public int WriteBatchSize { get; init; } = 1024;

    /// <summary>Embedding batch size and loader settings.</summary>
    public EmbeddingOptions Embedding { get; init; } = new();

    /// <summary>Checks the options, naming the bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(WriteBatchSize, 1, nameof(WriteBatchSize));
        ArgumentNullException.ThrowIfNull(Embedding, nameof(Embedding));
        Embedding.Validate();
    }
}

/// <summary>
/// Catalogue search end to end: builds or grows a gallery (a <see cref="RetrievalIndex"/> file, or any
/// <see cref="IWritableGalleryStore"/> such as a PostgreSQL table) from images with an <see cref="IImageEmbedder"/>, and
/// answers "which catalogue images look like this photo" for image files. A gallery records its embedder's fingerprint;
/// appending and searching check it, so embeddings of different models are never mixed. A <see cref="VisualSearch"/> may
/// be queried from many threads at once.
/// </summary>
public sealed class VisualSearch : IDisposable
{
    private VisualSearch(IImageEmbedder embedder, IGalleryStore store)
    {
        Embedder = embedder;
        Store = store;
    }

    /// <summary>The embedder queries go through (not owned: the caller disposes it).</summary>
    public IImageEmbedder Embedder { get; }

    /// <summary>The gallery searched (owned).</summary>
    public IGalleryStore Store { get; }

    /// <summary>The opened index file (owned), when the gallery is one.</summary>
    /// <exception cref="InvalidOperationException">The gallery is another store: use <see cref="Store"/>.</exception>
    public RetrievalIndex Index => Store as RetrievalIndex
        ?? throw new InvalidOperationException($"This search runs on gallery store '{Store.Location}', not an index file: use {nameof(Store)}.");

    /// <summary>
    /// Embeds dataset samples (e.g. a split's gallery) into an index file: their full image paths and item ids are
    /// stored with the embeddings.
    /// </summary>
    /// <param name="indexPath">The index file.</param>
    /// <param name="embedder">The embedding.</param>
    /// <param name="dataset">The dataset.</param>
    /// <param name="sampleIndices">The samples to index.</param>
    /// <param name="append">Add to an existing index (same embedder fingerprint required) instead of replacing it.</param>
    /// <param name="options">Batch size and loader settings.</param>
    /// <param name="progress">Receives the number of images embedded so far.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The number of entries added.</returns>
    public static int BuildIndex(string indexPath, IImageEmbedder embedder, FashionDataset dataset, IReadOnlyList<int> sampleIndices, bool append = false,
        EmbeddingOptions? options = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(sampleIndices);
        var samples = sampleIndices.Select(i => dataset.Samples[i]).ToArray();
        return Write(indexPath, embedder, append, samples.Select(dataset.ImageFullPath).ToArray(), samples.Select(s => s.ItemId ?? "").ToArray(),
            () => ImageEmbedding.EmbedSamples(embedder, dataset, sampleIndices, options, progress, cancellationToken));
    }

    /// <summary>Embeds image files into an index file; their full paths and the given item ids are stored with the embeddings.</summary>
    /// <param name="indexPath">The index file.</param>
    /// <param name="embedder">The embedding.</param>
    /// <param name="images">The images (whole images are used).</param>
    /// <param name="append">Add to an existing index (same embedder fingerprint required) instead of replacing it.</param>
    /// <param name="options">Batch size and loader settings.</param>
    /// <param name="progress">Receives the number of images embedded so far.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The number of entries added.</returns>
    public static int BuildIndex(string indexPath, IImageEmbedder embedder, IReadOnlyList<GalleryImage> images, bool append = false,
        EmbeddingOptions? options = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        var paths = images.Select(i => Path.GetFullPath(i.ImagePath)).ToArray();
        return Write(indexPath, embedder, append, paths, images.Select(i => i.ItemId ?? "").ToArray(),
            () => ImageEmbedding.EmbedImages(embedder, paths, options, progress, cancellationToken));
    }

    /// <summary>
    /// Embeds dataset samples into a gallery store, <see cref="GalleryLoadOptions.WriteBatchSize"/> at a time, each batch
    /// written atomically. Samples whose image is stored already are skipped, so a re-run after a crash or kill resumes
    /// where the last complete batch ended; the store's upsert keyed by image path keeps racing or repeated writes from
    /// duplicating entries. Full image paths, item ids and categories (the dataset's category name, e.g. In-shop's
    /// garment class when read with <see cref="ReaderOptions.InShopCategoriesFromPath"/>) are stored with the embeddings.
    /// </summary>
    /// <param name="store">The store, opened for <paramref name="embedder"/>.</param>
    /// <param name="embedder">The embedding.</param>
    /// <param name="dataset">The dataset.</param>
    /// <param name="sampleIndices">The samples to load (e.g. one <see cref="GalleryShard"/>'s part of a split).</param>
    /// <param name="options">Write batch size and embedding settings.</param>
    /// <param name="progress">Receives the number of images embedded and written so far by this run.</param>
    /// <param name="cancellationToken">Stops between batches; written batches stay.</param>
    /// <exception cref="GalleryStoreException">The store holds another embedder's embeddings, or a write failed.</exception>
    public static Task<GalleryLoadSummary> AddToStoreAsync(IWritableGalleryStore store, IImageEmbedder embedder, FashionDataset dataset,
        IReadOnlyList<int> sampleIndices, GalleryLoadOptions? options = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(sampleIndices);
        var samples = sampleIndices.Select(i => dataset.Samples[i]).ToArray();
        var images = samples.Select(s => new GalleryImage(dataset.ImageFullPath(s), s.ItemId ?? "", CategoryOf(dataset, s))).ToArray();
        return Load(store, embedder, images, options, progress,
            (positions, embedding) => ImageEmbedding.EmbedSamples(embedder, dataset, [.. positions.Select(p => sampleIndices[p])], embedding,
                cancellationToken: cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Embeds image files (whole images) into a gallery store, as the dataset overload does: in atomic batches, skipping
    /// images stored already. Full paths, the given item ids and categories are stored.
    /// </summary>
    /// <param name="store">The store, opened for <paramref name="embedder"/>.</param>
    /// <param name="embedder">The embedding.</param>
    /// <param name="images">The images.</param>
    /// <param name="options">Write batch size and embedding settings.</param>
    /// <param name="progress">Receives the number of images embedded and written so far by this run.</param>
    /// <param name="cancellationToken">Stops between batches; written batches stay.</param>
    /// <exception cref="GalleryStoreException">The store holds another embedder's embeddings, or a write failed.</exception>
    public static Task<GalleryLoadSummary> AddToStoreAsync(IWritableGalleryStore store, IImageEmbedder embedder, IReadOnlyList<GalleryImage> images,
        GalleryLoadOptions? options = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        var resolved = images.Select(i => i with { ImagePath = Path.GetFullPath(i.ImagePath), ItemId = i.ItemId ?? "", Category = i.Category ?? "" }).ToArray();
        return Load(store, embedder, resolved, options, progress,
            (positions, embedding) => ImageEmbedding.EmbedImages(embedder, [.. positions.Select(p => resolved[p].ImagePath)], embedding,
                cancellationToken: cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Searches any gallery store with <paramref name="embedder"/>, after checking that the store holds that embedder's
    /// embeddings. The search owns the store from then on and disposes it.
    /// </summary>
    /// <param name="store">The gallery.</param>
    /// <param name="embedder">The embedding the gallery was built with.</param>
    /// <exception cref="GalleryStoreException">The gallery was built with a different embedder or dimension.</exception>
    public static VisualSearch Open(IGalleryStore store, IImageEmbedder embedder)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(embedder);
        RequireEmbedder(store, embedder);
        return new VisualSearch(embedder, store);
    }

    /// <summary>Opens an index for searching with <paramref name="embedder"/>.</summary>
    /// <param name="indexPath">The index file.</param>
    /// <param name="embedder">The embedding the index was built with.</param>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="RetrievalIndexException">The file is not a valid index, or was built with a different embedder.</exception>
    public static VisualSearch Open(string indexPath, IImageEmbedder embedder)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        var index = RetrievalIndex.Open(indexPath, new RetrievalIndexOpenOptions
        {
            ExpectedModelFingerprint = embedder.Fingerprint,
            ExpectedDimension = embedder.Dimension,
        });
        return new VisualSearch(embedder, index);
    }

    /// <summary>
    /// Loads the embedder a gallery was built with, without being told which: the built-in baseline when the gallery
    /// says so, otherwise (for an index file) the checkpoint whose path the index recorded when it was built. Opening
    /// the gallery with it then checks that the weights are still those that built it.
    /// </summary>
    /// <param name="gallery">The gallery (an index file or another store).</param>
    /// <param name="device">Where the LibTorch model runs (the CPU when null); give either this or <paramref name="loader"/>.</param>
    /// <param name="loader">Loads the baseline or the checkpoint on the runtime of the caller's choice (for example
    /// ONNX Runtime, from the FashionNet.Core.Onnx package); LibTorch on <paramref name="device"/> when null.</param>
    /// <exception cref="FileNotFoundException">The recorded checkpoint no longer exists.</exception>
    /// <exception cref="ArgumentException">The gallery records no checkpoint for its model: the caller must name it; or
    /// both <paramref name="device"/> and <paramref name="loader"/> were given.</exception>
    public static IImageEmbedder LoadEmbedderFor(IGalleryStore gallery, Device? device = null, IEmbedderLoader? loader = null)
    {
        ArgumentNullException.ThrowIfNull(gallery);
        loader = LoaderOf(device, loader);
        string fingerprint = gallery.ModelFingerprint;
        if (fingerprint == ImageNetBaselineEmbedder.BaselineFingerprint) return loader.LoadBaseline();
        if ((gallery as RetrievalIndex)?.ModelPath is not { } modelPath)
            throw new ArgumentException($"Gallery '{gallery.Location}' records no checkpoint for its model '{fingerprint}': name the checkpoint it was built with.", nameof(gallery));
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"Gallery '{gallery.Location}' was built with checkpoint '{modelPath}', which no longer exists: name the checkpoint it was built with.", modelPath);
        return loader.LoadCheckpoint(modelPath);
    }

    /// <summary>Loads the embedder an index file was built with; see <see cref="LoadEmbedderFor(IGalleryStore, Device, IEmbedderLoader)"/>.</summary>
    /// <param name="indexPath">The index file.</param>
    /// <param name="device">Where the LibTorch model runs (the CPU when null); give either this or <paramref name="loader"/>.</param>
    /// <param name="loader">Loads the baseline or the checkpoint on the runtime of the caller's choice; LibTorch on <paramref name="device"/> when null.</param>
    public static IImageEmbedder LoadEmbedderFor(string indexPath, Device? device = null, IEmbedderLoader? loader = null)
    {
        loader = LoaderOf(device, loader);
        using var index = RetrievalIndex.Open(indexPath);
        return LoadEmbedderFor(index, loader: loader);
    }

    private static IEmbedderLoader LoaderOf(Device? device, IEmbedderLoader? loader)
    {
        if (loader is null) return new TorchEmbedderLoader(new InferenceOptions { Device = device });
        if (device is not null) throw new ArgumentException("Give either a device or a loader (which knows where its models run), not both.", nameof(device));
        return loader;
    }

    /// <summary>The <paramref name="top"/> index entries most similar (cosine) to an image file, best first.</summary>
    /// <param name="imagePath">The query image (the whole image is used).</param>
    /// <param name="top">How many matches (fewer when the index is smaller).</param>
    /// <exception cref="Data.Imaging.ImageDecodeException">The image is missing or cannot be decoded.</exception>
    public IReadOnlyList<RetrievalMatch> Query(string imagePath, int top = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        return Store is RetrievalIndex index
            ? index.Search(ImageEmbedding.EmbedImage(Embedder, imagePath), top)
            : QueryAsync(imagePath, top).GetAwaiter().GetResult();
    }

    /// <summary>The <paramref name="top"/> gallery entries most similar (cosine) to an image file, best first.</summary>
    /// <param name="imagePath">The query image (the whole image is used).</param>
    /// <param name="top">How many matches (fewer when the gallery, or its part in the filter, is smaller).</param>
    /// <param name="options">Category filter and exact or approximate search; defaults when null.</param>
    /// <param name="cancellationToken">Stops a remote search.</param>
    /// <exception cref="Data.Imaging.ImageDecodeException">The image is missing or cannot be decoded.</exception>
    /// <exception cref="NotSupportedException">The store cannot apply an option (an index file stores no categories).</exception>
    public async Task<IReadOnlyList<RetrievalMatch>> QueryAsync(string imagePath, int top = 10, GallerySearchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        return await Store.SearchAsync(ImageEmbedding.EmbedImage(Embedder, imagePath), top, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the gallery.</summary>
    public void Dispose() => Store.Dispose();

    /// <summary>Throws unless <paramref name="store"/> holds <paramref name="embedder"/>'s embeddings.</summary>
    private static void RequireEmbedder(IGalleryStore store, IImageEmbedder embedder)
    {
        if (!string.Equals(store.ModelFingerprint, embedder.Fingerprint, StringComparison.Ordinal))
            throw new GalleryStoreException(store.Location,
                $"built by another embedder: its fingerprint is '{store.ModelFingerprint}', this embedder's is '{embedder.Fingerprint}'.");
        if (store.Dimension != embedder.Dimension)
            throw new GalleryStoreException(store.Location, $"embeddings have dimension {store.Dimension}, this embedder's have {embedder.Dimension}.");
    }

    private static Task<GalleryLoadSummary> Load(IWritableGalleryStore store, IImageEmbedder embedder, GalleryImage[] images,
        GalleryLoadOptions? options, IProgress<int>? progress, Func<int[], EmbeddingOptions, TorchSharp.torch.Tensor> embed,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(embedder);
        options ??= new GalleryLoadOptions();
        options.Validate();
        RequireEmbedder(store, embedder);
        return GalleryLoader.LoadAsync(store, embedder.Fingerprint, [.. images.Select(i => new GalleryEntry(i.ImagePath, i.ItemId, i.Category))],
            positions =>
            {
                using var embeddings = embed(positions, options.Embedding);
                return embeddings.data<float>().ToArray();
            }, options.WriteBatchSize, progress, cancellationToken);
    }

    /// <summary>The sample's category name from the dataset's table; empty when it has none.</summary>
    private static string CategoryOf(FashionDataset dataset, FashionSample sample) =>
        sample.CategoryIndex is int category && category >= 0 && category < dataset.Categories.Count ? dataset.Categories[category].Name : "";

    private static int Write(string indexPath, IImageEmbedder embedder, bool append, string[] imagePaths, string[] itemIds, Func<TorchSharp.torch.Tensor> embed)
    {
        ArgumentException.ThrowIfNullOrEmpty(indexPath);
        ArgumentNullException.ThrowIfNull(embedder);
        if (imagePaths.Length == 0) throw new ArgumentException("There are no images to index.");
        if (append)
        {
            // Check before the (long) embedding that the existing index takes this embedder's entries.
            using var existing = RetrievalIndex.Open(indexPath, new RetrievalIndexOpenOptions
            {
                ExpectedModelFingerprint = embedder.Fingerprint,
                ExpectedDimension = embedder.Dimension,
            });
        }
        using var embeddings = embed();
        var content = new RetrievalIndexContent(embedder.Fingerprint, embedder.Dimension, embeddings.data<float>().ToArray(), itemIds, imagePaths)
        {
            ModelPath = embedder.ModelPath,
        };
        if (append) RetrievalIndex.Append(indexPath, content);
        else RetrievalIndex.Create(indexPath, content);
        return content.Count;
    }
}
