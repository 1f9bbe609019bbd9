using FashionNet.Evaluation;
using FashionNet.Retrieval;
using FashionNet.Tests.Retrieval;
using static TorchSharp.torch;

namespace FashionNet.Tests.Evaluation;

public class RetrievalEvaluatorTests
{
    [Fact]
    public void HandComputedHitRateAndItemRecall()
    {
        string[] gallery = ["a", "b", "a", "c", "b"];
        string[] queries = ["a", "b", "d"];
        // Query 0 (a) first finds an "a" at rank 2; query 1 (b) at rank 0; query 2's item "d" is not in the gallery.
        var neighbors = new NearestNeighbors(3, 5, SimilarityMetric.Cosine, excludesSameIndex: false,
            [1, 3, 0, 2, 4, 4, 0, 1, 2, 3, 0, 1, 2, 3, 4], new float[15]);

        var result = RetrievalEvaluator.Evaluate(neighbors, queries, gallery, [1, 3, 5, 50]);

        Assert.Equal(3, result.QueryCount);
        Assert.Equal(5, result.GalleryCount);
        Assert.Equal(1, result.QueriesWithoutRelevantImage);
        Assert.Equal([new(1, 1 / 3.0), new(3, 2 / 3.0), new(5, 2 / 3.0), new(50, 2 / 3.0)], result.HitRate.ToArray());
        // Item recall averages over the two queries with relevant images: (0 + 1/2) / 2, (1/2 + 1) / 2, then all found.
        Assert.Equal([new(1, 0.25), new(3, 0.75), new(5, 1.0), new(50, 1.0)], result.ItemRecall.ToArray());
        // First hits at (1-based) rank 3 and 1; query 2 never hits.
        Assert.Equal([3, 1, 0], result.FirstHitRanks.ToArray());
    }

    [Fact]
    public void ATieIsNotBrokenInTheQuerysFavour()
    {
        // Both gallery images are identical to the query; the wrong item comes first in gallery order, so it ranks first.
        using var queries = tensor(new[] { 1f, 0f }).view(1, 2);
        using var gallery = tensor(new[] { 1f, 0f, 1f, 0f }).view(2, 2);

        var result = RetrievalEvaluator.Evaluate(queries, ["q"], gallery, ["other", "q"], new RetrievalEvaluationOptions { Ks = [1, 2] });

        Assert.Equal([new(1, 0.0), new(2, 1.0)], result.HitRate.ToArray());
    }

    [Fact]
    public void SameSetProtocolNeverCountsTheQueryItself()
    {
        // Images 0 and 1 are item "a", image 2 is the only "b": query 2 has nothing else to find.
        using var embeddings = tensor(new[] { 1f, 0f, 0f, 1f, 1f, 0.1f }).view(3, 2);
        string[] items = ["a", "a", "b"];
        var options = new RetrievalEvaluationOptions { Ks = [1, 2], Search = new SimilaritySearchOptions { ExcludeSameIndex = true } };

        var result = RetrievalEvaluator.Evaluate(embeddings, items, embeddings, items, options);

        // Query 0's nearest other image is 2 ("b"), then 1 ("a"); query 1's nearest is 2 too. Both hit at 2, not at 1.
        Assert.Equal(1, result.QueriesWithoutRelevantImage);
        Assert.Equal([new(1, 0.0), new(2, 2 / 3.0)], result.HitRate.ToArray());
        Assert.Equal([new(1, 0.0), new(2, 1.0)], result.ItemRecall.ToArray());
    }

    [Fact]
    public void AgreesWithBruteForceHitRate()
    {
        manual_seed(20);
        using var queries = randn(40, 8);
        using var gallery = randn(60, 8);
        var random = new Random(21);
        string[] queryItems = Enumerable.Range(0, 40).Select(_ => $"item{random.Next(10)}").ToArray();
        string[] galleryItems = Enumerable.Range(0, 60).Select(_ => $"item{random.Next(10)}").ToArray();
        int[] ks = [1, 5, 10];

        var result = RetrievalEvaluator.Evaluate(queries, queryItems, gallery, galleryItems, new RetrievalEvaluationOptions { Ks = ks });

        var oracle = BruteForceSearch.Search(queries.data<float>().ToArray(), gallery.data<float>().ToArray(), 8, 10, SimilarityMetric.Cosine);
        foreach (var (k, i) in ks.Select((k, i) => (k, i)))
        {
            double expected = Enumerable.Range(0, 40).Count(q => oracle[q].Indices.Take(k).Any(g => galleryItems[g] == queryItems[q])) / 40.0;
            Assert.Equal(new RateAtK(k, expected), result.HitRate[i]);
            Assert.Equal(expected, result.FirstHitRanks.Count(rank => rank is >= 1 && rank <= k) / 40.0);
        }
        for (int q = 0; q < 40; q++)
        {
            int first = oracle[q].Indices.Take(10).ToList().FindIndex(g => galleryItems[g] == queryItems[q]);
            Assert.Equal(first + 1, result.FirstHitRanks[q]);
        }
    }

    [Fact]
    public void RejectsCutOffBeyondWhatTheSearchKept()
    {
        var neighbors = new NearestNeighbors(1, 2, SimilarityMetric.Cosine, false, [0, 1], new float[2]);

        var error = Assert.Throws<ArgumentException>(() => RetrievalEvaluator.Evaluate(neighbors, ["a"], ["a", "b", "c"], [1, 3]));

        Assert.Contains("kept only 2", error.Message);
    }

    [Fact]
    public void RejectsItemIdCountMismatch()
    {
        using var queries = zeros(2, 4);
        using var gallery = ones(3, 4);

        var error = Assert.Throws<ArgumentException>(() => RetrievalEvaluator.Evaluate(queries, ["a"], gallery, ["a", "b", "c"]));

        Assert.Equal("queryItemIds", error.ParamName);
    }
}
