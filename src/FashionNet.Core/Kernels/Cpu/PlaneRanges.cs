namespace FashionNet.Kernels.Cpu;

/// <summary>Runs a body over <c>[0, count)</c> in a few contiguous ranges on the thread pool, or inline when the work is small.</summary>
internal static class PlaneRanges
{
    /// <summary>Ranges per processor: enough to even out uneven ranges, few enough to keep scheduling cheap.</summary>
    private const int RangesPerProcessor = 4;

    /// <summary>
    /// Calls <paramref name="body"/>(start, end) over ranges covering <c>[0, count)</c>, each at least
    /// <paramref name="minimumRange"/> long, so that small calls are not slowed down by scheduling.
    /// </summary>
    public static void Run(long count, long minimumRange, Action<long, long> body)
    {
        var ranges = (int)Math.Min(count / minimumRange, (long)Environment.ProcessorCount * RangesPerProcessor);
        if (ranges <= 1)
        {
            body(0, count);
            return;
        }
        Parallel.For(0, ranges, range => body(count * range / ranges, count * (range + 1) / ranges));
    }
}
