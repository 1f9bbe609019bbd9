using System.Globalization;
using FashionNet.Diagnostics;

namespace FashionNet.Peers;

/// <summary>The settings a timing depends on, recorded beside it.</summary>
internal static class PeerEnvironment
{
    /// <summary>Runtime, TorchSharp and LibTorch versions, LibTorch's threads, the OpenMP wait policy, cores and load.</summary>
    public static object Describe()
    {
        var report = EnvironmentReport.Collect();
        return new
        {
            Runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
            report.TorchSharpVersion,
            report.LibTorchVersion,
            report.IntraOpThreads,
            report.InterOpThreads,
            OmpWaitPolicy = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY"),
            Cores = Environment.ProcessorCount,
            LoadAverage = LoadAverage(),
        };
    }

    /// <summary>The 1-minute load average from /proc/loadavg, or null where there is none.</summary>
    public static double? LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
