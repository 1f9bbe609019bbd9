namespace FashionNet.Retrieval;

/// <summary>
/// A searchable gallery of embeddings, each stored with its image path, item id and category, all from one embedder
/// (<see cref="ModelFingerprint"/>). Implementations: <see cref="RetrievalIndex"/>, the memory-mapped index file (the
/// embedded default: one file, exact search), and the PostgreSQL/pgvector store of the FashionNet.Core.PostgreSql package
/// (a gallery that many servers query and many indexers fill at once). Searches may run from many threads at once.
/// </summary>
public interface IGalleryStore : IDisposable
{
    /// <summary>Where the gallery lives, for messages: a file path, or a database and table (never a password).</summary>
    string Location { get; }

    /// <summary>Identifies the embedder whose embeddings the gallery holds; queries must come from the same one.</summary>
    string ModelFingerprint { get; }

    /// <summary>Embedding dimension.</summary>
    int Dimension { get; }

    /// <summary>Number of entries now (a shared store may grow while it is open).</summary>
    long Count { get; }

    /// <summary>The <paramref name="top"/> entries nearest (cosine) to one query embedding, best first.</summary>
    /// <param name="query">The query embedding, <see cref="Dimension"/> values, from the gallery's embedder.</param>
    /// <param name="top">How many matches (fewer when the gallery, or its part in the filter, is smaller).</param>
    /// <param name="options">Category filter and exact or approximate search; defaults when null.</param>
    /// <param name="cancellationToken">Stops a remote search.</param>
    /// <exception cref="ArgumentException">The query has the wrong dimension or a non-finite value.</exception>
    /// <exception cref="NotSupportedException">The store cannot apply an option (an index file stores no categories).</exception>
    ValueTask<IReadOnlyList<RetrievalMatch>> SearchAsync(ReadOnlyMemory<float> query, int top, GallerySearchOptions? options = null,
        CancellationToken cancellationToken = default);
}

/// <summary>
/// A gallery store that takes entries in batches: each batch becomes visible whole or not at all, and an entry whose image
/// path is already stored is replaced, so a batch written twice (a re-run after a crash) leaves no duplicates.
/// </summary>
public interface IWritableGalleryStore : IGalleryStore
{
    /// <summary>
    /// Which of <paramref name="imagePaths"/> are stored already: a re-run of an interrupted load embeds only the others.
    /// </summary>
    /// <param name="imagePaths">Image paths, as stored.</param>
    /// <param name="cancellationToken">Stops the lookup.</param>
    Task<IReadOnlySet<string>> FindStoredAsync(IReadOnlyCollection<string> imagePaths, CancellationToken cancellationToken = default);

    /// <summary>Inserts or replaces (keyed by image path) the entries of <paramref name="entries"/>, atomically.</summary>
    /// <param name="entries">Embeddings with their image paths, item ids and categories, from the store's embedder.</param>
    /// <param name="cancellationToken">Stops the write; nothing of the batch is then visible.</param>
    /// <exception cref="RetrievalIndexException">The entries come from another embedder or have another dimension.</exception>
    Task UpsertAsync(RetrievalIndexContent entries, CancellationToken cancellationToken = default);
}

/// <summary>Settings of one gallery search (<see cref="IGalleryStore.SearchAsync"/>).</summary>
public sealed record GallerySearchOptions
{
    /// <summary>The default settings: no filter, the store's fastest search.</summary>
    public static GallerySearchOptions Default { get; } = new();

    /// <summary>Only entries of this category (exact match) are searched; null searches all. The store applies it.</summary>
    public string? Category { get; init; }

    /// <summary>
    /// Compare the query with every entry even where the store has an approximate index (a pgvector HNSW index). Default
    /// false: the store's fastest search, which for an index file is exact anyway.
    /// </summary>
    public bool Exact { get; init; }

    /// <summary>
    /// Candidates an approximate (HNSW) search keeps (pgvector's <c>hnsw.ef_search</c>): higher is slower and finds more of
    /// the true top matches. Null keeps the server's setting (pgvector's default is 40). Ignored by exact searches.
    /// </summary>
    public int? EfSearch { get; init; }

    /// <summary>Checks the options, naming the bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        if (EfSearch is < 1 or > 1000)
            throw new ArgumentOutOfRangeException(nameof(EfSearch), EfSearch, "ef_search must be between 1 and 1000 (pgvector's range).");
        if (Category is { Length: 0 }) throw new ArgumentException("The category filter is empty; use null to search all categories.", nameof(Category));
    }
}
