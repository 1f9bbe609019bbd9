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

    /// <summary>
    /// Whether query <c>i</c> must not match gallery entry <c>i</c>: the same-set protocol, where the queries are the
    /// gallery and an image must not retrieve itself. Requires as many queries as gallery entries. Default false.
    /// </summary>
    public bool ExcludeSameIndex { get; init; }

    internal void Validate()
    {
        if (!Enum.IsDefined(Metric))
            throw new ArgumentOutOfRangeException(nameof(Metric), Metric, "Unknown similarity metric.");
        if (QueryTileSize < 1)
            throw new ArgumentOutOfRangeException(nameof(QueryTileSize), QueryTileSize, "The query tile must hold at least one query.");
        if (GalleryTileSize < 1)
            throw new ArgumentOutOfRangeException(nameof(GalleryTileSize), GalleryTileSize, "The gallery tile must hold at least one entry.");
    }
}
