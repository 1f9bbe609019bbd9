using System.Diagnostics;
using System.Globalization;
using FashionNet.Retrieval;

namespace FashionNet.GalleryBench;

/// <summary>Latency percentiles, top-k agreement and the one-line reports the tool prints.</summary>
internal static class Measure
{
    /// <summary>Runs <paramref name="search"/> for every query (after <paramref name="warmUp"/> untimed ones) and returns the results and per-query milliseconds.</summary>
    public static async Task<(List<IReadOnlyList<RetrievalMatch>> Results, double[] Milliseconds)> Timed(int queries, int warmUp,
        Func<int, Task<IReadOnlyList<RetrievalMatch>>> search)
    {
        for (int q = 0; q < Math.Min(warmUp, queries); q++) await search(q);
        var results = new List<IReadOnlyList<RetrievalMatch>>(queries);
        var milliseconds = new double[queries];
        for (int q = 0; q < queries; q++)
        {
            long start = Stopwatch.GetTimestamp();
            results.Add(await search(q));
            milliseconds[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        return (results, milliseconds);
    }

    public static double Percentile(double[] values, double percentile)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1)];
    }

    public static string Latency(string name, double[] milliseconds) => string.Create(CultureInfo.InvariantCulture,
        $"{name,-34} latency p50 {Percentile(milliseconds, 50),8:0.00} ms  p99 {Percentile(milliseconds, 99),8:0.00} ms  ({milliseconds.Length} queries)");

    /// <summary>Share of the true top-k image paths that <paramref name="found"/> returned, over all queries.</summary>
    public static double Recall(IReadOnlyList<IReadOnlyList<RetrievalMatch>> found, IReadOnlyList<IReadOnlyList<RetrievalMatch>> truth, int k)
    {
        long hits = 0, total = 0;
        for (int q = 0; q < truth.Count; q++)
        {
            var expected = truth[q].Take(k).Select(m => m.ImagePath).ToHashSet(StringComparer.Ordinal);
            hits += found[q].Take(k).Count(m => expected.Contains(m.ImagePath));
            total += expected.Count;
        }
        return (double)hits / total;
    }

    /// <summary>
    /// Compares two top-k lists query by query: identical order, same set, or different only by ties (an entry missing from
    /// one list scores, in the other, within <paramref name="tieTolerance"/> of the k-th score: equal scores may rank either way).
    /// </summary>
    public static (int Identical, int SameSet, int TiesOnly, int Different) Agreement(IReadOnlyList<IReadOnlyList<RetrievalMatch>> a,
        IReadOnlyList<IReadOnlyList<RetrievalMatch>> b, float tieTolerance)
    {
        int identical = 0, sameSet = 0, tiesOnly = 0, different = 0;
        for (int q = 0; q < a.Count; q++)
        {
            var pathsA = a[q].Select(m => m.ImagePath).ToArray();
            var pathsB = b[q].Select(m => m.ImagePath).ToArray();
            bool scoresMatch = a[q].Zip(b[q]).All(pair => Math.Abs(pair.First.Score - pair.Second.Score) <= tieTolerance);
            if (pathsA.SequenceEqual(pathsB)) identical++;
            else if (pathsA.ToHashSet().SetEquals(pathsB) && scoresMatch) sameSet++;
            else if (scoresMatch && a[q].Where(m => !pathsB.Contains(m.ImagePath)).All(m => Math.Abs(m.Score - a[q][^1].Score) <= tieTolerance))
                tiesOnly++;
            else different++;
        }
        return (identical, sameSet, tiesOnly, different);
    }

    public static string Megabytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:N0} MiB");
}
