namespace FashionNet.Retrieval;

/// <summary>How two embeddings are compared.</summary>
public enum SimilarityMetric
{
    /// <summary>
    /// Cosine similarity: both sides are L2-normalized before the product, the score is the cosine and higher ranks
    /// first.
    /// </summary>
    Cosine = 0,

    /// <summary>Euclidean distance on the embeddings as given: the score is the distance and lower ranks first.</summary>
    Euclidean = 1,
}

/// <summary>What computes the scores of a search; the ranking and its tie-breaking are the same for all.</summary>
public enum SimilarityBackend
{
    /// <summary>
    /// <see cref="Managed"/> for a few queries on CPU memory (up to <see cref="SimilaritySearchOptions.ManagedMaxQueries"/>),
    /// <see cref="LibTorch"/> otherwise: measured on benchmarks/README.md's machine.
    /// </summary>
    Auto = 0,

    /// <summary>LibTorch matrix products on the queries' device: fastest for many queries.</summary>
    LibTorch = 1,

    /// <summary>
    /// Vectorized dot products read in place from the gallery's CPU memory (a tensor or a memory-mapped index), without
    /// copying it: fastest for a few queries.
    /// </summary>
    Managed = 2,
}

/// <summary>Settings of a nearest-neighbour search (<see cref="SimilaritySearch"/>).</summary>
public sealed record SimilaritySearchOptions
{
    /// <summary>The default settings: cosine similarity, 1,024 x 8,192 score tiles.</summary>
    public static SimilaritySearchOptions Default { get; } = new();

    /// <summary>How embeddings are compared. Default <see cref="SimilarityMetric.Cosine"/>.</summary>
    public SimilarityMetric Metric { get; init; } = SimilarityMetric.Cosine;

    /// <summary>
    /// Queries scored per matrix product. Together with <see cref="GalleryTileSize"/> this bounds the memory of a
    /// search: one tile of <c>QueryTileSize x GalleryTileSize</c> scores exists at a time. Default 1,024.
    /// </summary>
    public int QueryTileSize { get; init; } = 1024;

    /// <summary>Gallery embeddings scored per matrix product. Default 8,192.</summary>
    public int GalleryTileSize { get; init; } = 8192;

    /// <summary>What computes the scores. Default <see cref="SimilarityBackend.Auto"/>.</summary>
    public SimilarityBackend Backend { get; init; } = SimilarityBackend.Auto;

    /// <summary>
    /// Whether query <c>i</c> must not match gallery entry <c>i</c>: the same-set protocol, where the queries are the
    /// gallery and an image must not retrieve itself. Requires as many queries as gallery entries. Default false.
    /// </summary>
    public bool ExcludeSameIndex { get; init; }

    /// <summary>
    /// The most queries for which <see cref="SimilarityBackend.Auto"/> picks <see cref="SimilarityBackend.Managed"/>: on an
    /// In-shop-sized gallery (12,612 x 512) managed scoring was measured about 3x faster at 64 queries and on par at 256.
    /// </summary>
    public static int ManagedMaxQueries => 64;

    internal void Validate()
    {
        if (!Enum.IsDefined(Backend))
            throw new ArgumentOutOfRangeException(nameof(Backend), Backend, "Unknown similarity backend.");
        if (!Enum.IsDefined(Metric))
            throw new ArgumentOutOfRangeException(nameof(Metric), Metric, "Unknown similarity metric.");
        if (QueryTileSize < 1)
            throw new ArgumentOutOfRangeException(nameof(QueryTileSize), QueryTileSize, "The query tile must hold at least one query.");
        if (GalleryTileSize < 1)
            throw new ArgumentOutOfRangeException(nameof(GalleryTileSize), GalleryTileSize, "The gallery tile must hold at least one entry.");
    }
}
