using FashionNet.Retrieval;
using static TorchSharp.torch;

namespace FashionNet.Tests.Retrieval;

public class SimilaritySearchTests
{
    private const int Dimension = 16;

    /// <summary>
    /// Vectors with four entries of +-0.5 and the rest 0: unit length exactly, and every product a multiple of 0.25, so
    /// float32 products are exact, many scores tie exactly, and the oracle's order must be matched index for index.
    /// </summary>
    private static float[] ExactUnitVectors(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count * Dimension];
        for (int row = 0; row < count; row++)
        {
            foreach (int column in Enumerable.Range(0, Dimension).OrderBy(_ => random.Next()).Take(4))
                values[row * Dimension + column] = random.Next(2) == 0 ? 0.5f : -0.5f;
        }

        return values;
    }

    /// <summary>Small integer vectors: Euclidean distances computed through <c>2 q.g - |g|^2</c> stay exact.</summary>
    private static float[] SmallIntegerVectors(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count * Dimension).Select(_ => (float)random.Next(-2, 3)).ToArray();
    }

    /// <summary>Both scoring backends must give the oracle's ranking.</summary>
    private static void AssertMatchesOracle(float[] queries, float[] gallery, int k, SimilaritySearchOptions options)
    {
        var expected = BruteForceSearch.Search(queries, gallery, Dimension, k, options.Metric, options.ExcludeSameIndex);
        foreach (var backend in new[] { SimilarityBackend.LibTorch, SimilarityBackend.Managed })
        {
            var actual = SimilaritySearch.Search(queries, gallery, Dimension, k, options with { Backend = backend });

            Assert.Equal(expected.Length, actual.QueryCount);
            for (int q = 0; q < expected.Length; q++)
            {
                Assert.Equal(expected[q].Indices, actual.GetIndices(q).ToArray());
                var scores = actual.GetScores(q);
                for (int i = 0; i < scores.Length; i++) Assert.Equal(expected[q].Scores[i], scores[i], tolerance: 1e-5);
            }
        }
    }

    [Theory]
    [InlineData(SimilarityMetric.Cosine, 1, 1000)]
    [InlineData(SimilarityMetric.Cosine, 10, 7)]
    [InlineData(SimilarityMetric.Cosine, 3, 13)]
    [InlineData(SimilarityMetric.Euclidean, 10, 7)]
    [InlineData(SimilarityMetric.Euclidean, 2, 1000)]
    public void MatchesBruteForceWithExactTiesAcrossTiles(SimilarityMetric metric, int queryTile, int galleryTile)
    {
        bool cosine = metric == SimilarityMetric.Cosine;
        float[] queries = cosine ? ExactUnitVectors(37, seed: 1) : SmallIntegerVectors(37, seed: 1);
        float[] gallery = cosine ? ExactUnitVectors(101, seed: 2) : SmallIntegerVectors(101, seed: 2);
        var options = new SimilaritySearchOptions { Metric = metric, QueryTileSize = queryTile, GalleryTileSize = galleryTile };

        AssertMatchesOracle(queries, gallery, k: 12, options);
    }

    [Fact]
    public void MatchesBruteForceOnRandomEmbeddings()
    {
        manual_seed(3);
        float[] queries = randn(50, Dimension).data<float>().ToArray();
        float[] gallery = randn(300, Dimension).data<float>().ToArray();

        AssertMatchesOracle(queries, gallery, k: 20, new SimilaritySearchOptions { QueryTileSize = 16, GalleryTileSize = 64 });
    }

    [Fact]
    public void EqualScoresRankInGalleryOrderWhateverTheTiles()
    {
        // Every gallery entry is the same vector, so all scores tie: the ranking must be the gallery order.
        float[] query = ExactUnitVectors(1, seed: 4);
        float[] gallery = Enumerable.Repeat(query, 40).SelectMany(v => v).ToArray();

        foreach (var backend in new[] { SimilarityBackend.LibTorch, SimilarityBackend.Managed })
        {
            foreach (int galleryTile in new[] { 1, 3, 40 })
            {
                var options = new SimilaritySearchOptions { GalleryTileSize = galleryTile, Backend = backend };
                var result = SimilaritySearch.Search(query, gallery, Dimension, k: 10, options);
                Assert.Equal(Enumerable.Range(0, 10), result.GetIndices(0).ToArray());
            }
        }
    }

    [Fact]
    public void LaterEqualScoreNeverDisplacesAnEarlierOne()
    {
        // Gallery: 5 weaker entries, then 3 copies of the query, then 3 more copies. Top 3 must be the first copies.
        float[] query = [1f, 0f];
        float[] gallery = [0.5f, 0.5f, 0.2f, 1f, 0f, 1f, 0.3f, 0.9f, 0f, -1f, 1f, 0f, 1f, 0f, 1f, 0f, 1f, 0f, 1f, 0f, 1f, 0f];

        var result = SimilaritySearch.Search(query, gallery, dimension: 2, k: 3);

        Assert.Equal([5, 6, 7], result.GetIndices(0).ToArray());
    }

    [Fact]
    public void KLargerThanGalleryReturnsWholeGalleryRanked()
    {
        float[] queries = SmallIntegerVectors(4, seed: 5);
        float[] gallery = SmallIntegerVectors(6, seed: 6);
        var options = new SimilaritySearchOptions { Metric = SimilarityMetric.Euclidean };

        var result = SimilaritySearch.Search(queries, gallery, Dimension, k: 50, options);

        Assert.Equal(6, result.K);
        AssertMatchesOracle(queries, gallery, k: 50, options);
    }

    [Fact]
    public void ExcludeSameIndexNeverReturnsTheQueryItself()
    {
        float[] embeddings = ExactUnitVectors(30, seed: 7);
        var options = new SimilaritySearchOptions { ExcludeSameIndex = true, QueryTileSize = 7, GalleryTileSize = 4 };

        var result = SimilaritySearch.Search(embeddings, embeddings, Dimension, k: 40, options);

        Assert.Equal(29, result.K);
        for (int q = 0; q < 30; q++) Assert.DoesNotContain(q, result.GetIndices(q).ToArray());
        AssertMatchesOracle(embeddings, embeddings, k: 40, options);
    }

    [Theory]
    [InlineData(SimilarityBackend.LibTorch)]
    [InlineData(SimilarityBackend.Managed)]
    public void GalleryTensorThatIsAViewOfALargerOneIsReadAtItsOffset(SimilarityBackend backend)
    {
        float[] queries = SmallIntegerVectors(5, seed: 16);
        float[] all = SmallIntegerVectors(50, seed: 17);
        using var allTensor = tensor(all).view(50, Dimension);
        using var galleryView = allTensor.narrow(0, 20, 30);
        using var queryTensor = tensor(queries).view(5, Dimension);
        var options = new SimilaritySearchOptions { Metric = SimilarityMetric.Euclidean, GalleryTileSize = 7, Backend = backend };

        var result = SimilaritySearch.Search(queryTensor, galleryView, 8, options);

        var expected = BruteForceSearch.Search(queries, all[(20 * Dimension)..], Dimension, 8, SimilarityMetric.Euclidean);
        for (int q = 0; q < 5; q++) Assert.Equal(expected[q].Indices, result.GetIndices(q).ToArray());
    }

    [Fact]
    public void ManagedBackendRefusesAGalleryOutsideContiguousCpuMemory()
    {
        using var queries = ones(2, 4);
        using var gallery = ones(4, 3).t();

        var error = Assert.Throws<ArgumentException>(() =>
            SimilaritySearch.Search(queries, gallery, 1, new SimilaritySearchOptions { Backend = SimilarityBackend.Managed }));

        Assert.Contains("CPU memory", error.Message);
    }

    [Fact]
    public void TensorOverloadAgreesWithArrayOverload()
    {
        float[] queries = ExactUnitVectors(9, seed: 8);
        float[] gallery = ExactUnitVectors(33, seed: 9);
        using var queryTensor = tensor(queries).view(9, Dimension);
        using var galleryTensor = tensor(gallery).view(33, Dimension);

        var fromTensors = SimilaritySearch.Search(queryTensor, galleryTensor, 5);
        var fromArrays = SimilaritySearch.Search(queries, gallery, Dimension, 5);

        for (int q = 0; q < 9; q++) Assert.Equal(fromArrays.GetIndices(q).ToArray(), fromTensors.GetIndices(q).ToArray());
    }

    [Fact]
    public void RejectsEmptyQuerySet()
    {
        var error = Assert.Throws<ArgumentException>(() => SimilaritySearch.Search([], new float[Dimension], Dimension, 5));
        Assert.Equal("queries", error.ParamName);
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void RejectsDimensionMismatch()
    {
        using var queries = zeros(3, 8);
        using var gallery = ones(5, 6);

        var error = Assert.Throws<ArgumentException>(() => SimilaritySearch.Search(queries, gallery, 2));

        Assert.Contains("dimension 8", error.Message);
        Assert.Contains("dimension 6", error.Message);
    }

    [Fact]
    public void RejectsRaggedArrays() =>
        Assert.Throws<ArgumentException>(() => SimilaritySearch.Search(new float[10], new float[16], dimension: 4, k: 1));

    [Fact]
    public void RejectsNonFiniteEmbeddings()
    {
        float[] gallery = SmallIntegerVectors(4, seed: 10);
        gallery[5] = float.NaN;

        var error = Assert.Throws<ArgumentException>(() => SimilaritySearch.Search(SmallIntegerVectors(1, 11), gallery, Dimension, 1));

        Assert.Equal("gallery", error.ParamName);
    }

    [Fact]
    public void RejectsExclusionWhenQueriesAreNotTheGallery() =>
        Assert.Throws<ArgumentException>(() => SimilaritySearch.Search(SmallIntegerVectors(2, 12), SmallIntegerVectors(3, 13), Dimension, 1,
            new SimilaritySearchOptions { ExcludeSameIndex = true }));

    [Fact]
    public void RejectsNonPositiveK() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SimilaritySearch.Search(SmallIntegerVectors(2, 14), SmallIntegerVectors(3, 15), Dimension, 0));
}
