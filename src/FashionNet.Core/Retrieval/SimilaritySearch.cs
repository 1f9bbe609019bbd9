using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Retrieval;

/// <summary>
/// Exact nearest-neighbour search: queries and gallery are scored one tile at a time
/// (<see cref="SimilaritySearchOptions.QueryTileSize"/> x <see cref="SimilaritySearchOptions.GalleryTileSize"/>), by a
/// LibTorch matrix product or by managed dot products (<see cref="SimilarityBackend"/>), and each query keeps only its
/// running top k, so memory stays bounded by one tile whatever the set sizes. Ranking is deterministic: better score
/// first, then lower gallery index.
/// </summary>
public static class SimilaritySearch
{
    /// <summary>The <paramref name="k"/> nearest gallery embeddings of every query.</summary>
    /// <param name="queries">Query embeddings, float32 <c>[queryCount, dimension]</c>, on any device.</param>
    /// <param name="gallery">Gallery embeddings, float32 <c>[galleryCount, dimension]</c>.</param>
    /// <param name="k">Neighbours per query; more than the gallery holds gives the whole gallery, ranked.</param>
    /// <param name="options">Metric, tile sizes and same-set exclusion; <see cref="SimilaritySearchOptions.Default"/> when null.</param>
    /// <exception cref="ArgumentException">Empty sets, a dimension mismatch, a wrong shape or type, or a non-finite value.</exception>
    public static NearestNeighbors Search(Tensor queries, Tensor gallery, int k, SimilaritySearchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(gallery);
        ValidateEmbeddings(gallery, nameof(gallery));
        return Search(queries, new TensorGalleryTiles(gallery), k, options ?? SimilaritySearchOptions.Default);
    }

    /// <summary>The <paramref name="k"/> nearest gallery embeddings of every query, for embeddings in row-major arrays.</summary>
    /// <param name="queries">Query embeddings, row-major <c>[queryCount, dimension]</c>.</param>
    /// <param name="gallery">Gallery embeddings, row-major <c>[galleryCount, dimension]</c>.</param>
    /// <param name="dimension">Embedding dimension: the length of one row.</param>
    /// <param name="k">Neighbours per query.</param>
    /// <param name="options">Metric, tile sizes and same-set exclusion; <see cref="SimilaritySearchOptions.Default"/> when null.</param>
    public static NearestNeighbors Search(float[] queries, float[] gallery, int dimension, int k, SimilaritySearchOptions? options = null)
    {
        using var scope = NewDisposeScope();
        return Search(AsMatrix(queries, dimension, nameof(queries)), AsMatrix(gallery, dimension, nameof(gallery)), k, options);
    }

    internal static NearestNeighbors Search(Tensor queries, GalleryTiles gallery, int k, SimilaritySearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ValidateEmbeddings(queries, nameof(queries));
        int queryCount = (int)queries.shape[0];
        if (queries.shape[1] != gallery.Dimension)
            throw new ArgumentException(
                $"Query embeddings have dimension {queries.shape[1]} but the gallery has dimension {gallery.Dimension}.", nameof(queries));
        if (gallery.Count == 0) throw new ArgumentException("The gallery is empty: there is nothing to search.", nameof(gallery));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (options.ExcludeSameIndex && queryCount != gallery.Count)
            throw new ArgumentException(
                $"{nameof(SimilaritySearchOptions.ExcludeSameIndex)} needs the queries to be the gallery, but there are {queryCount} queries " +
                $"and {gallery.Count} gallery entries.", nameof(options));

        int available = options.ExcludeSameIndex ? gallery.Count - 1 : gallery.Count;
        if (available == 0) throw new ArgumentException("The gallery holds only the query itself: there is nothing to search.", nameof(gallery));
        int effectiveK = Math.Min(k, available);
        bool managed = UseManagedScorer(options.Backend, queryCount, gallery);
        var accumulator = new TopKAccumulator(queryCount, effectiveK);
        var queryNormsSquared = options.Metric == SimilarityMetric.Euclidean ? new float[queryCount] : null;
        var managedTile = managed
            ? new float[Math.Min(options.QueryTileSize, queryCount) * Math.Min(options.GalleryTileSize, gallery.Count)]
            : null;

        for (int queryStart = 0; queryStart < queryCount; queryStart += options.QueryTileSize)
        {
            using var queryScope = NewDisposeScope();
            int queryLength = Math.Min(options.QueryTileSize, queryCount - queryStart);
            Tensor queryTile = queries.narrow(0, queryStart, queryLength);
            if (options.Metric == SimilarityMetric.Cosine)
                queryTile = nn.functional.normalize(queryTile, p: 2, dim: 1);
            else
                CopyRowNormsSquared(queryTile, queryNormsSquared.AsSpan(queryStart, queryLength));
            if (managed) queryTile = queryTile.cpu().contiguous();

            for (int galleryStart = 0; galleryStart < gallery.Count; galleryStart += options.GalleryTileSize)
            {
                using var galleryScope = NewDisposeScope();
                int galleryLength = Math.Min(options.GalleryTileSize, gallery.Count - galleryStart);
                ReadOnlySpan<float> scores = managed
                    ? ScoreTileManaged(queryTile, gallery, galleryStart, galleryLength, options.Metric, managedTile!)
                    : MemoryMarshal.Cast<byte, float>(
                        ScoreTile(queryTile, gallery.Load(galleryStart, galleryLength, queries.device), options.Metric).cpu().contiguous().bytes);
                OfferTile(accumulator, scores, queryStart, queryLength, galleryStart, galleryLength, options.ExcludeSameIndex);
            }
        }

        var (indices, rankingScores) = accumulator.Finish();
        if (queryNormsSquared is not null) ToEuclideanDistances(rankingScores, queryNormsSquared, effectiveK);
        return new NearestNeighbors(queryCount, effectiveK, options.Metric, options.ExcludeSameIndex, indices, rankingScores);
    }

    private static bool UseManagedScorer(SimilarityBackend backend, int queryCount, GalleryTiles gallery) => backend switch
    {
        SimilarityBackend.LibTorch => false,
        SimilarityBackend.Managed when gallery.HostAddress == 0 => throw new ArgumentException(
            $"{nameof(SimilarityBackend.Managed)} scoring needs the gallery in CPU memory, contiguous, under 2 GB; use " +
            $"{nameof(SimilarityBackend.LibTorch)} or {nameof(SimilarityBackend.Auto)}.", "options"),
        SimilarityBackend.Managed => true,
        _ => gallery.HostAddress != 0 && queryCount <= SimilaritySearchOptions.ManagedMaxQueries,
    };

    private static unsafe ReadOnlySpan<float> ScoreTileManaged(Tensor queryTile, GalleryTiles gallery, int galleryStart, int galleryLength,
        SimilarityMetric metric, float[] tile)
    {
        int queryLength = (int)queryTile.shape[0];
        int dimension = gallery.Dimension;
        fixed (byte* queries = queryTile.bytes)
        fixed (float* scores = tile)
        {
            ManagedTileScorer.Score((float*)queries, queryLength, (float*)gallery.HostAddress + (long)galleryStart * dimension, galleryLength,
                dimension, metric, scores);
        }

        return tile.AsSpan(0, queryLength * galleryLength);
    }

    /// <summary>
    /// Scores where higher ranks first. Cosine: the product of the normalized embeddings. Euclidean: <c>2 q.g - |g|^2</c>,
    /// which for a fixed query orders like <c>-|q - g|^2</c> without the query's own norm.
    /// </summary>
    private static Tensor ScoreTile(Tensor queryTile, Tensor galleryTile, SimilarityMetric metric)
    {
        if (metric == SimilarityMetric.Cosine)
            return queryTile.matmul(nn.functional.normalize(galleryTile, p: 2, dim: 1).t());
        Tensor negativeNormsSquared = galleryTile.square().sum(1).neg_().unsqueeze(0);
        return addmm(negativeNormsSquared, queryTile, galleryTile.t(), beta: 1, alpha: 2);
    }

    private static void OfferTile(TopKAccumulator accumulator, ReadOnlySpan<float> tile, int queryStart, int queryLength, int galleryStart,
        int galleryLength, bool excludeSameIndex)
    {
        unsafe
        {
            fixed (float* tilePointer = tile)
            {
                // Spans cannot cross into the parallel lambda; the pinned pointer can, and stays valid until the loop ends.
                nint address = (nint)tilePointer;
                Parallel.For(0, queryLength, row =>
                {
                    int query = queryStart + row;
                    var rowScores = new ReadOnlySpan<float>((float*)address + (long)row * galleryLength, galleryLength);
                    accumulator.Offer(query, rowScores, galleryStart, excludeSameIndex ? query : -1);
                });
            }
        }
    }

    private static void CopyRowNormsSquared(Tensor rows, Span<float> destination)
    {
        using var scope = NewDisposeScope();
        Tensor norms = rows.square().sum(1).cpu().contiguous();
        MemoryMarshal.Cast<byte, float>(norms.bytes).CopyTo(destination);
    }

    private static void ToEuclideanDistances(float[] rankingScores, float[] queryNormsSquared, int k)
    {
        for (int i = 0; i < rankingScores.Length; i++)
            rankingScores[i] = MathF.Sqrt(MathF.Max(0f, queryNormsSquared[i / k] - rankingScores[i]));
    }

    private static Tensor AsMatrix(float[] values, int dimension, string name)
    {
        ArgumentNullException.ThrowIfNull(values, name);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (values.Length % dimension != 0)
            throw new ArgumentException($"{values.Length} values do not make whole rows of dimension {dimension}.", name);
        return from_array(values).view(values.Length / dimension, dimension);
    }

    internal static void ValidateEmbeddings(Tensor embeddings, string name)
    {
        ArgumentNullException.ThrowIfNull(embeddings, name);
        if (embeddings.dim() != 2)
            throw new ArgumentException($"Embeddings must be a [count, dimension] matrix, but the tensor has shape [{string.Join(", ", embeddings.shape)}].", name);
        if (embeddings.dtype != ScalarType.Float32)
            throw new ArgumentException($"Embeddings must be float32, but the tensor is {embeddings.dtype}.", name);
        if (embeddings.shape[0] == 0) throw new ArgumentException("The embedding set is empty.", name);
        if (embeddings.shape[1] == 0) throw new ArgumentException("Embeddings have dimension 0.", name);
        using var scope = NewDisposeScope();
        if (!isfinite(embeddings).all().item<bool>())
            throw new ArgumentException("Embeddings contain NaN or infinite values.", name);
    }
}
