using System.Collections.Immutable;
using FashionNet.Retrieval;
using static TorchSharp.torch;

namespace FashionNet.Evaluation;

/// <summary>Settings of a retrieval evaluation (<see cref="RetrievalEvaluator"/>).</summary>
public sealed record RetrievalEvaluationOptions
{
    /// <summary>The DeepFashion protocol: cut-offs 1, 5, 10, 20, 30, 40, 50, cosine similarity.</summary>
    public static RetrievalEvaluationOptions Default { get; } = new();

    /// <summary>The cut-offs k to report. Default 1, 5, 10, 20, 30, 40, 50 (the paper's).</summary>
    public IReadOnlyList<int> Ks { get; init; } = [1, 5, 10, 20, 30, 40, 50];

    /// <summary>
    /// How the search compares embeddings, its tile sizes, and whether an image must not retrieve itself (set
    /// <see cref="SimilaritySearchOptions.ExcludeSameIndex"/> when the queries are the gallery).
    /// </summary>
    public SimilaritySearchOptions Search { get; init; } = SimilaritySearchOptions.Default;
}

/// <summary>Retrieval results at each cut-off.</summary>
/// <param name="QueryCount">Number of queries; the denominator of <paramref name="HitRate"/>.</param>
/// <param name="GalleryCount">Number of gallery images.</param>
/// <param name="QueriesWithoutRelevantImage">
/// Queries whose item has no (other) image in the gallery: they can never hit and count as misses in
/// <paramref name="HitRate"/>, and are left out of <paramref name="ItemRecall"/>.
/// </param>
/// <param name="HitRate">
/// The paper's measure (often called top-k accuracy or R@k): the share of queries with at least one image of their
/// item among their top k.
/// </param>
/// <param name="ItemRecall">
/// A different measure, not to be compared with <paramref name="HitRate"/>: per query, the share of its item's gallery
/// images found in the top k, averaged over the queries that have any (what some tools report as "recall@k").
/// </param>
/// <param name="FirstHitRanks">
/// Per query, in query order: the 1-based rank of the first gallery image of its item, or 0 when none is within the
/// largest cut-off. A query hits at k when its rank is between 1 and k; paired comparisons of two models use these.
/// </param>
public sealed record RetrievalEvaluationResult(
    int QueryCount,
    int GalleryCount,
    int QueriesWithoutRelevantImage,
    ImmutableArray<RateAtK> HitRate,
    ImmutableArray<RateAtK> ItemRecall,
    ImmutableArray<int> FirstHitRanks);

/// <summary>
/// The DeepFashion retrieval protocol (In-shop: query images against the gallery images of the test split;
/// Consumer-to-shop: consumer images against shop images): exact search, then hit rate at each cut-off.
/// </summary>
public static class RetrievalEvaluator
{
    /// <summary>Searches the gallery for every query and measures the result.</summary>
    /// <param name="queryEmbeddings">Query embeddings, float32 <c>[queryCount, dimension]</c>.</param>
    /// <param name="queryItemIds">The item id of each query.</param>
    /// <param name="galleryEmbeddings">Gallery embeddings, float32 <c>[galleryCount, dimension]</c>.</param>
    /// <param name="galleryItemIds">The item id of each gallery image.</param>
    /// <param name="options">Cut-offs and search settings; <see cref="RetrievalEvaluationOptions.Default"/> when null.</param>
    public static RetrievalEvaluationResult Evaluate(Tensor queryEmbeddings, IReadOnlyList<string> queryItemIds, Tensor galleryEmbeddings,
        IReadOnlyList<string> galleryItemIds, RetrievalEvaluationOptions? options = null)
    {
        options ??= RetrievalEvaluationOptions.Default;
        ArgumentNullException.ThrowIfNull(queryEmbeddings);
        ArgumentNullException.ThrowIfNull(galleryEmbeddings);
        RequireOneIdPerRow(queryItemIds, queryEmbeddings, nameof(queryItemIds));
        RequireOneIdPerRow(galleryItemIds, galleryEmbeddings, nameof(galleryItemIds));
        var ks = CutOffs.Normalize(options.Ks, nameof(options));
        var neighbors = SimilaritySearch.Search(queryEmbeddings, galleryEmbeddings, ks[^1], options.Search);
        return Evaluate(neighbors, queryItemIds, galleryItemIds, ks);
    }

    /// <summary>Measures the result of a search that was already run.</summary>
    /// <param name="neighbors">Each query's ranked gallery entries, at least as many as the largest cut-off (or the whole gallery).</param>
    /// <param name="queryItemIds">The item id of each query.</param>
    /// <param name="galleryItemIds">The item id of each gallery entry.</param>
    /// <param name="ks">The cut-offs; a cut-off beyond <see cref="NearestNeighbors.K"/> needs the search to have kept the whole gallery.</param>
    public static RetrievalEvaluationResult Evaluate(NearestNeighbors neighbors, IReadOnlyList<string> queryItemIds,
        IReadOnlyList<string> galleryItemIds, IEnumerable<int> ks)
    {
        ArgumentNullException.ThrowIfNull(neighbors);
        ArgumentNullException.ThrowIfNull(queryItemIds);
        ArgumentNullException.ThrowIfNull(galleryItemIds);
        var cutOffs = CutOffs.Normalize(ks, nameof(ks));
        if (queryItemIds.Count != neighbors.QueryCount)
            throw new ArgumentException($"{queryItemIds.Count} query item ids for {neighbors.QueryCount} queries.", nameof(queryItemIds));
        if (neighbors.ExcludesSameIndex && galleryItemIds.Count != neighbors.QueryCount)
            throw new ArgumentException(
                $"The search excluded each query's own index, so the queries are the gallery, but there are {galleryItemIds.Count} gallery item ids " +
                $"for {neighbors.QueryCount} queries.", nameof(galleryItemIds));
        int searchable = neighbors.ExcludesSameIndex ? galleryItemIds.Count - 1 : galleryItemIds.Count;
        if (cutOffs[^1] > neighbors.K && neighbors.K < searchable)
            throw new ArgumentException(
                $"Cut-off {cutOffs[^1]} needs the top {cutOffs[^1]} of each query, but the search kept only {neighbors.K}.", nameof(ks));

        var galleryImagesPerItem = galleryItemIds.CountBy(id => id, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal);
        var hits = new int[cutOffs.Length];
        var recallSums = new double[cutOffs.Length];
        var firstHitRanks = new int[neighbors.QueryCount];
        int withoutRelevant = 0;
        for (int query = 0; query < neighbors.QueryCount; query++)
        {
            string item = queryItemIds[query];
            int relevant = galleryImagesPerItem.GetValueOrDefault(item);
            if (neighbors.ExcludesSameIndex && string.Equals(galleryItemIds[query], item, StringComparison.Ordinal)) relevant--;
            if (relevant == 0)
            {
                withoutRelevant++;
                continue;
            }

            ReadOnlySpan<int> ranked = neighbors.GetIndices(query);
            int found = 0;
            int cut = 0;
            for (int rank = 0; rank <= ranked.Length && cut < cutOffs.Length; rank++)
            {
                // Before looking at position `rank`, close every cut-off that ends there.
                while (cut < cutOffs.Length && (cutOffs[cut] == rank || rank == ranked.Length))
                {
                    if (found > 0) hits[cut]++;
                    recallSums[cut] += (double)found / relevant;
                    cut++;
                }

                if (rank < ranked.Length && string.Equals(galleryItemIds[ranked[rank]], item, StringComparison.Ordinal))
                {
                    if (found == 0 && rank < cutOffs[^1]) firstHitRanks[query] = rank + 1;
                    found++;
                }
            }
        }

        int withRelevant = neighbors.QueryCount - withoutRelevant;
        return new RetrievalEvaluationResult(
            neighbors.QueryCount,
            galleryItemIds.Count,
            withoutRelevant,
            [.. cutOffs.Select((k, i) => new RateAtK(k, (double)hits[i] / neighbors.QueryCount))],
            [.. cutOffs.Select((k, i) => new RateAtK(k, withRelevant == 0 ? 0 : recallSums[i] / withRelevant))],
            [.. firstHitRanks]);
    }

    private static void RequireOneIdPerRow(IReadOnlyList<string> itemIds, Tensor embeddings, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(itemIds, parameterName);
        if (embeddings.dim() >= 1 && itemIds.Count != embeddings.shape[0])
            throw new ArgumentException($"{itemIds.Count} item ids for {embeddings.shape[0]} embeddings.", parameterName);
    }
}
