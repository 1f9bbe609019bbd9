using FashionNet.Evaluation;

namespace FashionNet.Tests.Evaluation;

public class PairedBootstrapTests
{
    [Fact]
    public void AConstantDifferenceHasADegenerateIntervalAtThatDifference()
    {
        var baseline = new[] { new double[] { 0, 1, 0, 1 }, new double[] { 0, 1, 0, 1 } };
        var candidate = new[] { new double[] { 1, 1, 1, 1 }, new double[] { 0, 1, 0, 1 } }; // per query: +0.5, 0, +0.5, 0 averaged over the two runs

        var interval = PairedBootstrap.MeanDifference(baseline, candidate, resamples: 2000);

        Assert.Equal(0.25, interval.Estimate, 12);
        Assert.InRange(interval.Lower, 0, 0.25);
        Assert.InRange(interval.Upper, 0.25, 0.5);
        Assert.Equal(4, interval.QueryCount);
    }

    [Fact]
    public void TheIntervalMatchesTheNormalApproximationForManyQueries()
    {
        // 4,000 queries whose seed-averaged difference is +1 with probability 0.3, -1 with 0.2, else 0: mean 0.1,
        // standard deviation sqrt(0.5 - 0.01) = 0.7; the 95% interval is about 0.1 +- 1.96 * 0.7 / sqrt(4000) = +- 0.0217.
        var random = new Random(5);
        int n = 4000;
        var baseline = new double[n];
        var candidate = new double[n];
        for (int q = 0; q < n; q++)
        {
            double u = random.NextDouble();
            (baseline[q], candidate[q]) = u < 0.3 ? (0.0, 1.0) : u < 0.5 ? (1.0, 0.0) : (1.0, 1.0);
        }

        var interval = PairedBootstrap.MeanDifference([baseline], [candidate]);

        double mean = candidate.Zip(baseline, (c, b) => c - b).Average();
        Assert.Equal(mean, interval.Estimate, 12);
        double sd = Math.Sqrt(candidate.Zip(baseline, (c, b) => Math.Pow(c - b - mean, 2)).Sum() / (n - 1));
        double halfWidth = 1.96 * sd / Math.Sqrt(n);
        Assert.Equal(mean - halfWidth, interval.Lower, 0.003);
        Assert.Equal(mean + halfWidth, interval.Upper, 0.003);
        Assert.Equal(interval, PairedBootstrap.MeanDifference([baseline], [candidate])); // same seed, same interval
    }

    [Fact]
    public void RunsOfDifferentQueriesAreRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => PairedBootstrap.MeanDifference([[0, 1, 1]], [[1, 1]]));
        Assert.Contains("same queries", error.Message);
        Assert.Throws<ArgumentException>(() => PairedBootstrap.MeanDifference([[0, 1], [1]], [[1, 1]]));
        Assert.Throws<ArgumentException>(() => PairedBootstrap.MeanDifference([], [[1]]));
    }
}
