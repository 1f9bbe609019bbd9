using System.Runtime.InteropServices;
using FashionNet.Diagnostics;

namespace FashionNet.Tests.Diagnostics;

public class EnvironmentReportTests
{
    [Fact]
    public void TorchLoadsAndTheSelfTestFindsTheHandComputedGradient()
    {
        var report = EnvironmentReport.Collect();

        // The self-test differentiates sum(3 x^2) at x = (1, 2, 3): 6 x.
        Assert.Equal([6f, 12f, 18f], report.SelfTestGradient);
        Assert.True(report.SelfTestPassed);
        Assert.StartsWith("2.10", report.LibTorchVersion, StringComparison.Ordinal);
        Assert.True(report.IntraOpThreads >= 1);
    }
}

public partial class TorchThreadingTests
{
    [Fact]
    public void OpenMpWaitPolicyIsPassiveInTheNativeEnvironmentLibTorchReads()
    {
        // The module initializer asked for PASSIVE before any torch call; a value the user gave the process is kept
        // instead. /proc/self/environ holds the environment the process started with, before any setenv.
        string? given = File.ReadAllText("/proc/self/environ").Split('\0')
            .FirstOrDefault(entry => entry.StartsWith("OMP_WAIT_POLICY=", StringComparison.Ordinal))?["OMP_WAIT_POLICY=".Length..];
        string expected = string.IsNullOrEmpty(given) ? "PASSIVE" : given;
        Assert.Equal(expected, Environment.GetEnvironmentVariable("OMP_WAIT_POLICY"));
        Assert.Equal(expected, Marshal.PtrToStringUTF8(GetEnvironment("OMP_WAIT_POLICY")));
        Assert.False(FashionNet.Diagnostics.TorchThreading.PreferPassiveWaiting());
    }

    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetEnvironment(string name);
}
