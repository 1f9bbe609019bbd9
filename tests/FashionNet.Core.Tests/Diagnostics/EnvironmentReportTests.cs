using System.Runtime.InteropServices;
using FashionNet.Diagnostics;
using static TorchSharp.torch;

namespace FashionNet.Tests.Diagnostics;

public class EnvironmentReportTests
{
    [Fact]
    public void TorchLoadsAndAutogradComputesTheExpectedGradient()
    {
        var report = EnvironmentReport.Collect();

        Assert.Equal(EnvironmentReport.ExpectedSelfTestGradient, report.SelfTestGradient);
        Assert.True(report.SelfTestPassed);
        Assert.StartsWith("2.10", report.LibTorchVersion, StringComparison.Ordinal);
        Assert.True(report.IntraOpThreads >= 1);
    }

    [Fact]
    public void MatrixProductBackwardMatchesTheClosedForm()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new[,] { { 1f, 2f }, { 3f, 4f } }, requires_grad: true);
        var b = tensor(new[,] { { 5f, 6f }, { 7f, 8f } });

        matmul(a, b).sum().backward();

        // d(sum(A B))/dA = 1 * B^T: each row of the gradient holds the row sums of B.
        Assert.Equal(new[] { 11f, 15f, 11f, 15f }, a.grad!.data<float>().ToArray());
    }
}

public partial class TorchThreadingTests
{
    [Fact]
    public void OpenMpWaitPolicyIsPassiveInTheNativeEnvironmentLibTorchReads()
    {
        // The module initializer asked for it before any torch call; a value the user set beforehand is kept instead.
        string? expected = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY");
        Assert.False(string.IsNullOrEmpty(expected));
        Assert.Equal(expected, Marshal.PtrToStringUTF8(GetEnvironment("OMP_WAIT_POLICY")));
        Assert.False(FashionNet.Diagnostics.TorchThreading.PreferPassiveWaiting());
    }

    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetEnvironment(string name);
}
