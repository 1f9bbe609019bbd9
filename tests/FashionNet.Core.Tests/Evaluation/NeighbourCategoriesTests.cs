using FashionNet.Evaluation;
using static TorchSharp.torch;

namespace FashionNet.Tests.Evaluation;

/// <summary><see cref="NeighbourCategories"/>: the vote against a brute-force oracle and by hand.</summary>
public sealed class NeighbourCategoriesTests
{
    /// <summary>The vote written out: cosine to every reference, the k best (ties to the lower index), weight (1 + cosine) / 2.</summary>
    private static float[] Oracle(float[][] queries, float[][] references, int[] labels, int categories, int k)
    {
        static double Cosine(float[] a, float[] b) =>
            a.Zip(b, (x, y) => (double)x * y).Sum() / Math.Sqrt(a.Sum(x => (double)x * x) * b.Sum(x => (double)x * x));
        var scores = new float[queries.Length * categories];
        for (int q = 0; q < queries.Length; q++)
        {
            var nearest = references.Select((r, i) => (Cosine(queries[q], r), i)).OrderByDescending(p => p.Item1).ThenBy(p => p.i).Take(k);
            foreach (var (cosine, i) in nearest) scores[q * categories + labels[i]] += (float)((1 + cosine) / 2);
        }
        return scores;
    }

    private static float[][] Random(Random random, int rows, int columns) =>
        [.. Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, columns).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray())];

    private static Tensor Tensor(float[][] rows) => tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);

    [Fact]
    public void ScoresMatchTheBruteForceVoteAcrossQueryChunks()
    {
        var random = new Random(4);
        // 1,100 queries: more than one chunk of 1,024.
        float[][] queries = Random(random, 1100, 6), references = Random(random, 40, 6);
        int[] labels = [.. Enumerable.Range(0, 40).Select(_ => random.Next(4))];
        using var q = Tensor(queries);
        using var r = Tensor(references);

        float[] scores = NeighbourCategories.Scores(q, r, labels, categoryCount: 4, neighbours: 5);

        float[] expected = Oracle(queries, references, labels, 4, 5);
        Assert.Equal(expected.Length, scores.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - scores[i]) < 1e-5, $"score {i}: {scores[i]} vs {expected[i]}");
    }

    [Fact]
    public void NearerNeighboursOutweighMoreNumerousFartherOnes()
    {
        // One reference of category 1 points the query's way (cosine 1); two of category 0 stand at a right angle (cosine 0)
        // and beyond it (cosine -1 / sqrt 10).
        using var query = tensor(new float[] { 1, 0 }, [1, 2]);
        using var references = tensor(new float[] { 2, 0, 0, 1, -1, -3 }, [3, 2]);

        float[] three = NeighbourCategories.Scores(query, references, [1, 0, 0], categoryCount: 3, neighbours: 3);
        float[] two = NeighbourCategories.Scores(query, references, [1, 0, 0], categoryCount: 3, neighbours: 2);

        Assert.Equal(1.0, three[1], 6);
        Assert.Equal(0.5 + (1 - 1 / Math.Sqrt(10)) / 2, three[0], 6);
        Assert.Equal(0.0, three[2], 6);
        Assert.True(three[1] > three[0]);
        Assert.Equal([0.5f, 1.0f, 0f], two);
    }

    [Fact]
    public void BadArgumentsAreRefusedNamingWhatIsWrong()
    {
        using var queries = zeros(2, 3);
        using var references = ones(4, 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => NeighbourCategories.Scores(queries, references, [0, 1, 0, 1], 2, neighbours: 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => NeighbourCategories.Scores(queries, references, [0, 1, 0, 1], 2, neighbours: 0));
        Assert.Contains("outside 0..1", Assert.Throws<ArgumentException>(() => NeighbourCategories.Scores(queries, references, [0, 2, 0, 1], 2, 1)).Message);
        Assert.Contains("outside 0..1", Assert.Throws<ArgumentException>(() => NeighbourCategories.Scores(queries, references, [0, -1, 0, 1], 2, 1)).Message);
        Assert.Contains("3 labels for 4", Assert.Throws<ArgumentException>(() => NeighbourCategories.Scores(queries, references, [0, 1, 0], 2, 1)).Message);
        using var wide = ones(4, 5);
        Assert.Throws<ArgumentException>(() => NeighbourCategories.Scores(queries, wide, [0, 1, 0, 1], 2, 1));
    }
}
