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

    /// <summary>
    /// Whether LibTorch's OpenMP threads spin while they wait: only with <c>OMP_WAIT_POLICY=ACTIVE</c> (the library
    /// otherwise makes them sleep, <see cref="TorchThreading.PreferPassiveWaiting"/>).
    /// </summary>
    public static bool LibTorchSpins =>
        string.Equals(Environment.GetEnvironmentVariable("OMP_WAIT_POLICY"), "ACTIVE", StringComparison.OrdinalIgnoreCase);

    /// <summary>ONNX Runtime settings that match LibTorch's: as many intra-op threads, the same waiting.</summary>
    public static Inference.Onnx.OnnxRuntimeOptions OnnxRuntimeLikeLibTorch() =>
        new() { Threads = TorchSharp.torch.get_num_threads(), AllowSpinning = LibTorchSpins };

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
