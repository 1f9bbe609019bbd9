namespace FashionNet.Evaluation;

/// <summary>A bootstrap confidence interval of a mean difference.</summary>
/// <param name="Estimate">The mean difference (candidate minus baseline) over all queries.</param>
/// <param name="Lower">Lower end of the interval.</param>
/// <param name="Upper">Upper end of the interval.</param>
/// <param name="Confidence">Coverage of the interval, e.g. 0.95.</param>
/// <param name="Resamples">Bootstrap resamples drawn.</param>
/// <param name="QueryCount">Queries compared.</param>
public sealed record BootstrapInterval(double Estimate, double Lower, double Upper, double Confidence, int Resamples, int QueryCount);

/// <summary>
/// The paired bootstrap over queries: two models evaluated on the same queries (each by several training runs, e.g.
/// seeds) are compared query by query. Each query's score is averaged over a model's runs, the per-query difference
/// (candidate minus baseline) is resampled with replacement, and the interval is read off the percentiles of the
/// resampled means. Pairing removes the variation between queries from the comparison; averaging over seeds keeps
/// the variation between runs inside each query's score.
/// </summary>
public static class PairedBootstrap
{
    /// <summary>The mean difference of per-query scores, with its percentile bootstrap interval.</summary>
    /// <param name="baseline">Per run, per query scores of the baseline model (e.g. 1 when the query hits at 1, else 0).</param>
    /// <param name="candidate">The same for the candidate model, on the same queries in the same order.</param>
    /// <param name="resamples">Bootstrap resamples (default 10,000).</param>
    /// <param name="confidence">Coverage, in (0, 1) (default 0.95).</param>
    /// <param name="seed">Seed of the resampling, for a reproducible interval.</param>
    /// <exception cref="ArgumentException">No runs, no queries, or runs of different query counts.</exception>
    public static BootstrapInterval MeanDifference(IReadOnlyList<IReadOnlyList<double>> baseline, IReadOnlyList<IReadOnlyList<double>> candidate,
        int resamples = 10_000, double confidence = 0.95, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 1);
        if (!(confidence is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "Must be in (0, 1).");
        double[] baselineMeans = PerQueryMeans(baseline, nameof(baseline));
        double[] candidateMeans = PerQueryMeans(candidate, nameof(candidate));
        if (baselineMeans.Length != candidateMeans.Length)
            throw new ArgumentException($"The baseline has {baselineMeans.Length} queries, the candidate {candidateMeans.Length}: they must be the same queries.", nameof(candidate));

        int n = baselineMeans.Length;
        var differences = new double[n];
        for (int q = 0; q < n; q++) differences[q] = candidateMeans[q] - baselineMeans[q];
        var random = new Random(seed);
        var means = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += differences[random.Next(n)];
            means[r] = sum / n;
        }
        Array.Sort(means);
        double tail = (1 - confidence) / 2;
        return new BootstrapInterval(differences.Average(), Percentile(means, tail), Percentile(means, 1 - tail), confidence, resamples, n);
    }

    private static double[] PerQueryMeans(IReadOnlyList<IReadOnlyList<double>> runs, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(runs, parameterName);
        if (runs.Count == 0 || runs[0].Count == 0) throw new ArgumentException("At least one run with at least one query is needed.", parameterName);
        int queries = runs[0].Count;
        if (runs.Any(run => run.Count != queries))
            throw new ArgumentException($"Every run must score the same {queries} queries; got {string.Join(", ", runs.Select(r => r.Count))}.", parameterName);
        var means = new double[queries];
        foreach (var run in runs)
        {
            for (int q = 0; q < queries; q++) means[q] += run[q] / runs.Count;
        }
        return means;
    }

    /// <summary>The p-quantile of sorted values, linearly interpolated between order statistics.</summary>
    private static double Percentile(double[] sorted, double p)
    {
        double position = p * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
