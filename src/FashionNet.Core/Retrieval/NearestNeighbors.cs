namespace FashionNet.Retrieval;

/// <summary>
/// The top-k gallery entries of each query of a search, best first: higher similarity (or lower distance) first,
/// then lower gallery index, so equal scores always rank in gallery order.
/// </summary>
public sealed class NearestNeighbors
{
    private readonly int[] _indices;
    private readonly float[] _scores;

    internal NearestNeighbors(int queryCount, int k, SimilarityMetric metric, bool excludesSameIndex, int[] indices, float[] scores)
    {
        QueryCount = queryCount;
        K = k;
        Metric = metric;
        ExcludesSameIndex = excludesSameIndex;
        _indices = indices;
        _scores = scores;
    }

    /// <summary>Number of queries.</summary>
    public int QueryCount { get; }

    /// <summary>
    /// Neighbours kept per query: the requested k, or fewer when the gallery (less the excluded entry) is smaller.
    /// </summary>
    public int K { get; }

    /// <summary>The metric the scores are in.</summary>
    public SimilarityMetric Metric { get; }

    /// <summary>Whether query <c>i</c> was kept from matching gallery entry <c>i</c> (the same-set protocol).</summary>
    public bool ExcludesSameIndex { get; }

    /// <summary>Gallery indices of the neighbours of one query, best first.</summary>
    public ReadOnlySpan<int> GetIndices(int query) => _indices.AsSpan(RowStart(query), K);

    /// <summary>
    /// Scores of the neighbours of one query, in the order of <see cref="GetIndices"/>: cosine similarities, or Euclidean
    /// distances, as <see cref="Metric"/> says.
    /// </summary>
    public ReadOnlySpan<float> GetScores(int query) => _scores.AsSpan(RowStart(query), K);

    private int RowStart(int query)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(query);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(query, QueryCount);
        return query * K;
    }
}
