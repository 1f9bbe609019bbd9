using FashionNet.Data.Annotations;
using FashionNet.Retrieval;

namespace FashionNet.Inference;

/// <summary>An image to put into a retrieval index, with the item id it shows (empty when unknown).</summary>
/// <param name="ImagePath">The image file.</param>
/// <param name="ItemId">The item the image shows; empty when unknown.</param>
public sealed record GalleryImage(string ImagePath, string ItemId = "");

/// <summary>
/// Catalogue search end to end: builds or grows a <see cref="RetrievalIndex"/> file from images with an
/// <see cref="IImageEmbedder"/>, and answers "which catalogue images look like this photo" for image files. An index
/// records its embedder's fingerprint; appending and searching check it, so embeddings of different models are never
/// mixed. A <see cref="VisualSearch"/> may be queried from many threads at once.
/// </summary>
public sealed class VisualSearch : IDisposable
{
    private VisualSearch(IImageEmbedder embedder, RetrievalIndex index)
    {
        Embedder = embedder;
        Index = index;
    }

    /// <summary>The embedder queries go through (not owned: the caller disposes it).</summary>
    public IImageEmbedder Embedder { get; }

    /// <summary>The opened index (owned).</summary>
    public RetrievalIndex Index { get; }

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
    /// Loads the embedder an index was built with, without being told which: the built-in baseline when the index
    /// says so, otherwise the checkpoint whose path the index recorded when it was built. <see cref="Open"/> then checks
    /// that the weights are still those that built the index.
    /// </summary>
    /// <param name="indexPath">The index file.</param>
    /// <param name="pretrainedDirectory">Where the ImageNet ONNX files are (default <c>ImageNetWeights.DefaultDirectory</c>).</param>
    /// <exception cref="FileNotFoundException">There is no such index, or the recorded checkpoint no longer exists.</exception>
    /// <exception cref="RetrievalIndexException">The file is not a valid index, or records no model path.</exception>
    public static IImageEmbedder LoadEmbedderFor(string indexPath, string? pretrainedDirectory = null)
    {
        string fingerprint;
        string? modelPath;
        using (var index = RetrievalIndex.Open(indexPath))
            (fingerprint, modelPath) = (index.ModelFingerprint, index.ModelPath);
        if (fingerprint == ImageNetBaselineEmbedder.BaselineFingerprint) return ImageNetBaselineEmbedder.Load(pretrainedDirectory);
        string fullPath = Path.GetFullPath(indexPath);
        if (modelPath is null)
            throw new RetrievalIndexException(fullPath, $"it records no checkpoint for its model '{fingerprint}' (built before indexes recorded one): name the checkpoint it was built with.");
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"Retrieval index '{fullPath}' was built with checkpoint '{modelPath}', which no longer exists: name the checkpoint it was built with.", modelPath);
        return FashionNetEmbedder.FromCheckpoint(modelPath, pretrainedDirectory);
    }

    /// <summary>The <paramref name="top"/> index entries most similar (cosine) to an image file, best first.</summary>
    /// <param name="imagePath">The query image (the whole image is used).</param>
    /// <param name="top">How many matches (fewer when the index is smaller).</param>
    /// <exception cref="Data.Imaging.ImageDecodeException">The image is missing or cannot be decoded.</exception>
    public IReadOnlyList<RetrievalMatch> Query(string imagePath, int top = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        return Index.Search(ImageEmbedding.EmbedImage(Embedder, imagePath), top);
    }

    /// <summary>Closes the index.</summary>
    public void Dispose() => Index.Dispose();

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
