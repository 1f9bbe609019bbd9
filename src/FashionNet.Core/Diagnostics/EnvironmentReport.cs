using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Diagnostics;

/// <summary>What FashionNet.Core finds on this machine: TorchSharp, LibTorch, threads and devices.</summary>
/// <param name="TorchSharpVersion">Version of the TorchSharp managed assembly.</param>
/// <param name="LibTorchVersion">Version of the loaded LibTorch native library.</param>
/// <param name="InterOpThreads">LibTorch inter-op thread count.</param>
/// <param name="IntraOpThreads">LibTorch intra-op thread count.</param>
/// <param name="CudaAvailable">Whether the loaded LibTorch backend sees a CUDA device.</param>
/// <param name="CudaDeviceCount">Number of CUDA devices LibTorch sees.</param>
/// <param name="SelfTestGradient">Gradient computed by the self-test; equals <see cref="ExpectedSelfTestGradient"/> when torch works.</param>
public sealed record EnvironmentReport(
    string TorchSharpVersion,
    string LibTorchVersion,
    int InterOpThreads,
    int IntraOpThreads,
    bool CudaAvailable,
    int CudaDeviceCount,
    float[] SelfTestGradient)
{
    /// <summary>The gradient of <c>sum(x * x * 3)</c> at <c>x = [1, 2, 3]</c>, which the self-test computes with autograd.</summary>
    public static IReadOnlyList<float> ExpectedSelfTestGradient { get; } = [6f, 12f, 18f];

    /// <summary>Whether the self-test produced the expected gradient.</summary>
    public bool SelfTestPassed => SelfTestGradient.SequenceEqual(ExpectedSelfTestGradient);

    /// <summary>
    /// Loads LibTorch (throwing TorchSharp's own error when the native backend is missing), runs one small autograd
    /// computation and reports what it found.
    /// </summary>
    public static EnvironmentReport Collect()
    {
        float[] gradient;
        using (NewDisposeScope())
        {
            var x = tensor(new[] { 1f, 2f, 3f }, device: CPU, requires_grad: true);
            (x * x * 3).sum().backward();
            gradient = x.grad!.data<float>().ToArray();
        }

        return new EnvironmentReport(
            TorchSharpVersion: typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown",
            LibTorchVersion: __version__,
            InterOpThreads: get_num_interop_threads(),
            IntraOpThreads: get_num_threads(),
            CudaAvailable: cuda.is_available(),
            CudaDeviceCount: cuda.is_available() ? cuda.device_count() : 0,
            SelfTestGradient: gradient);
    }
}
