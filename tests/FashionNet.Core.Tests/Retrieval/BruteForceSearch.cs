using FashionNet.Retrieval;

namespace FashionNet.Tests.Retrieval;

/// <summary>
/// The oracle: every query against every gallery entry in double precision, the whole list sorted by score (higher
/// similarity or lower distance first), then gallery index.
/// </summary>
internal static class BruteForceSearch
{
    public static (int[] Indices, double[] Scores)[] Search(float[] queries, float[] gallery, int dimension, int k, SimilarityMetric metric,
        bool excludeSameIndex = false)
    {
        int queryCount = queries.Length / dimension;
        int galleryCount = gallery.Length / dimension;
        var results = new (int[], double[])[queryCount];
        for (int q = 0; q < queryCount; q++)
        {
            var candidates = new List<(int Index, double Score)>();
            for (int g = 0; g < galleryCount; g++)
            {
                if (excludeSameIndex && g == q) continue;
                candidates.Add((g, Score(queries.AsSpan(q * dimension, dimension), gallery.AsSpan(g * dimension, dimension), metric)));
            }

            var ranked = metric == SimilarityMetric.Cosine
                ? candidates.OrderByDescending(c => c.Score).ThenBy(c => c.Index)
                : candidates.OrderBy(c => c.Score).ThenBy(c => c.Index);
            var top = ranked.Take(k).ToArray();
            results[q] = (top.Select(c => c.Index).ToArray(), top.Select(c => c.Score).ToArray());
        }

        return results;
    }

    private static double Score(ReadOnlySpan<float> a, ReadOnlySpan<float> b, SimilarityMetric metric)
    {
        double dot = 0, normA = 0, normB = 0, distanceSquared = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            normA += (double)a[i] * a[i];
            normB += (double)b[i] * b[i];
            distanceSquared += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        }

        return metric == SimilarityMetric.Cosine ? dot / Math.Sqrt(normA) / Math.Sqrt(normB) : Math.Sqrt(distanceSquared);
    }
}
