using System.Diagnostics;
using static TorchSharp.torch;

namespace FashionNet.Peers;

/// <summary>Summaries of repeated timings.</summary>
internal static class PeerStatistics
{
    /// <summary>The median (the mean of the two middle values for an even count).</summary>
    /// <exception cref="ArgumentException">No values.</exception>
    public static double Median(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("No timings to summarize.", nameof(values));
        var sorted = values.Order().ToArray();
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>Wall seconds of one call that returns a tensor (disposed right away).</summary>
    public static double Seconds(Func<Tensor> run)
    {
        var clock = Stopwatch.StartNew();
        using var result = run();
        return clock.Elapsed.TotalSeconds;
    }
}
