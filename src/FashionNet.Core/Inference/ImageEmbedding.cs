using FashionNet.Data.Annotations;
using FashionNet.Data.Imaging;
using FashionNet.Data.Loading;
using static TorchSharp.torch;

namespace FashionNet.Inference;

/// <summary>How images are fed to an embedder in batches.</summary>
public sealed record EmbeddingOptions
{
    /// <summary>Images per batch (default 32).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Background decoding: workers and prefetch depth.</summary>
    public DataLoaderOptions Loader { get; init; } = new();

    /// <summary>Checks the options, naming the bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentNullException.ThrowIfNull(Loader, nameof(Loader));
        Loader.Validate();
    }
}

/// <summary>
/// Embeds dataset samples or image files with any <see cref="IImageEmbedder"/>: images are decoded and framed by the
/// deterministic evaluation transform (a sample's bounding box when it has one, the whole image otherwise) on background
/// workers, and embedded one batch at a time, each batch in its own dispose scope.
/// </summary>
public static class ImageEmbedding
{
    /// <summary>The embeddings of <paramref name="sampleIndices"/>, in that order: float32 <c>[count, D]</c> on the CPU.</summary>
    /// <param name="embedder">The embedding.</param>
    /// <param name="dataset">The dataset.</param>
    /// <param name="sampleIndices">Which samples, by dataset index.</param>
    /// <param name="options">Batch size and loader settings.</param>
    /// <param name="progress">Receives the number of images embedded so far after each batch.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <exception cref="ImageDecodeException">An image is missing or cannot be decoded (the message names it).</exception>
    public static Tensor EmbedSamples(IImageEmbedder embedder, FashionDataset dataset, IReadOnlyList<int> sampleIndices, EmbeddingOptions? options = null,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(sampleIndices);
        options ??= new EmbeddingOptions();
        options.Validate();
        if (sampleIndices.Count == 0) return zeros([0, embedder.Dimension], device: CPU);
        var loader = FashionDataLoader.ForEvaluation(dataset, sampleIndices, embedder.ImageSize, embedder.Normalizer, options.BatchSize, options.Loader);
        var parts = new List<Tensor>();
        int done = 0;
        try
        {
            BatchInference.Run(loader, batch =>
            {
                parts.Add(embedder.Embed(batch.Images).MoveToOuterDisposeScope());
                done += batch.Count;
                progress?.Report(done);
            }, cancellationToken);
            return BatchInference.Concatenate(parts, embedder.Dimension);
        }
        finally
        {
            foreach (var part in parts) part.Dispose();
        }
    }

    /// <summary>The embeddings of image files, in order: float32 <c>[count, D]</c> on the CPU. Whole images are used.</summary>
    /// <param name="embedder">The embedding.</param>
    /// <param name="imagePaths">The image files.</param>
    /// <param name="options">Batch size and loader settings.</param>
    /// <param name="progress">Receives the number of images embedded so far after each batch.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <exception cref="ImageDecodeException">An image is missing or cannot be decoded (the message names it).</exception>
    public static Tensor EmbedImages(IImageEmbedder embedder, IReadOnlyList<string> imagePaths, EmbeddingOptions? options = null,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var dataset = ImageListDataset(imagePaths);
        return EmbedSamples(embedder, dataset, [.. Enumerable.Range(0, dataset.Samples.Count)], options, progress, cancellationToken);
    }

    /// <summary>The embedding of one image file, on the calling thread: float32 <c>[D]</c> values.</summary>
    /// <param name="embedder">The embedding.</param>
    /// <param name="imagePath">The image file.</param>
    /// <exception cref="ImageDecodeException">The image is missing or cannot be decoded.</exception>
    public static float[] EmbedImage(IImageEmbedder embedder, string imagePath)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        using var scope = NewDisposeScope();
        return embedder.Embed(PreparedImage.FromFile(imagePath, embedder.ImageSize, embedder.Normalizer).ToTensor()).data<float>().ToArray();
    }

    /// <summary>A dataset of bare image files (no annotations), addressed by full path.</summary>
    internal static FashionDataset ImageListDataset(IReadOnlyList<string> imagePaths)
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        var samples = new List<FashionSample>(imagePaths.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string path in imagePaths)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(path, nameof(imagePaths));
            string fullPath = Path.GetFullPath(path);
            // A dataset holds each image once (it indexes samples by path).
            if (!seen.Add(fullPath)) throw new ArgumentException($"Image '{fullPath}' is listed twice.", nameof(imagePaths));
            samples.Add(new FashionSample { ImagePath = fullPath });
        }
        // Full paths: Path.Combine(root, fullPath) is the full path whatever the root.
        return new FashionDataset(DeepFashionFormat.InShop, Path.GetPathRoot(Environment.CurrentDirectory) ?? "/", samples, [], [], [], [], new ParseReport());
    }
}
