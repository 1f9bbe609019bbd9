namespace FashionNet.Retrieval;

/// <summary>
/// Entries to write into a retrieval index or another gallery store: one embedding, item id, image path and category per
/// gallery image (an index file does not keep the categories).
/// </summary>
public sealed class RetrievalIndexContent
{
    /// <summary>Checks and wraps the entries.</summary>
    /// <param name="modelFingerprint">
    /// Identifies the model that produced the embeddings (e.g. a checkpoint hash); an index only accepts entries, and only
    /// answers callers, with the same fingerprint.
    /// </param>
    /// <param name="dimension">Embedding dimension.</param>
    /// <param name="embeddings">Embeddings, row-major <c>[count, dimension]</c>, finite.</param>
    /// <param name="itemIds">The item id of each entry.</param>
    /// <param name="imagePaths">The image path of each entry.</param>
    /// <param name="categories">The category of each entry (empty when unknown); null: all unknown.</param>
    public RetrievalIndexContent(string modelFingerprint, int dimension, ReadOnlyMemory<float> embeddings, IReadOnlyList<string> itemIds,
        IReadOnlyList<string> imagePaths, IReadOnlyList<string>? categories = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelFingerprint);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentNullException.ThrowIfNull(itemIds);
        ArgumentNullException.ThrowIfNull(imagePaths);
        if (embeddings.Length % dimension != 0)
            throw new ArgumentException($"{embeddings.Length} values do not make whole embeddings of dimension {dimension}.", nameof(embeddings));
        int count = embeddings.Length / dimension;
        if (itemIds.Count != count) throw new ArgumentException($"{itemIds.Count} item ids for {count} embeddings.", nameof(itemIds));
        if (imagePaths.Count != count) throw new ArgumentException($"{imagePaths.Count} image paths for {count} embeddings.", nameof(imagePaths));
        int nonFinite = FirstNonFinite(embeddings.Span);
        if (nonFinite >= 0)
            throw new ArgumentException($"Embedding {nonFinite / dimension} has a NaN or infinite value.", nameof(embeddings));
        if (itemIds.Any(id => id is null)) throw new ArgumentException("An item id is null.", nameof(itemIds));
        if (imagePaths.Any(path => path is null)) throw new ArgumentException("An image path is null.", nameof(imagePaths));
        categories ??= new string[count];
        if (categories.Count != count) throw new ArgumentException($"{categories.Count} categories for {count} embeddings.", nameof(categories));

        ModelFingerprint = modelFingerprint;
        Dimension = dimension;
        Embeddings = embeddings;
        ItemIds = itemIds;
        ImagePaths = imagePaths;
        Categories = [.. categories.Select(category => category ?? "")];
    }

    /// <summary>Identifies the model that produced the embeddings.</summary>
    public string ModelFingerprint { get; }

    /// <summary>
    /// Where the model that produced the embeddings can be loaded from (e.g. its checkpoint file), recorded in the index
    /// so that it can be searched without naming the model again; null when unknown.
    /// </summary>
    public string? ModelPath { get; init; }

    /// <summary>Embedding dimension.</summary>
    public int Dimension { get; }

    /// <summary>Number of entries.</summary>
    public int Count => ItemIds.Count;

    /// <summary>Embeddings, row-major <c>[Count, Dimension]</c>.</summary>
    public ReadOnlyMemory<float> Embeddings { get; }

    /// <summary>The item id of each entry.</summary>
    public IReadOnlyList<string> ItemIds { get; }

    /// <summary>The image path of each entry.</summary>
    public IReadOnlyList<string> ImagePaths { get; }

    /// <summary>The category of each entry; empty when unknown.</summary>
    public IReadOnlyList<string> Categories { get; }

    private static int FirstNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i])) return i;
        }

        return -1;
    }
}
