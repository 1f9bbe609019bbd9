using System.Diagnostics.CodeAnalysis;

namespace FashionNet.Kernels.Gpu;

/// <summary>
/// The CUDA C kernels of <c>native/</c>, built to PTX by clang during the library's build and embedded as manifest
/// resources (see the <c>BuildNativePtx</c> target in FashionNet.Core.csproj). A build without clang carries none.
/// </summary>
internal static class NativePtx
{
    /// <summary>Manifest resource name of the PTX built from <c>native/landmark_pooling.cu</c>.</summary>
    public const string LandmarkPoolingResource = "FashionNet.Native.landmark_pooling.ptx";

    /// <summary>Manifest resource name of the PTX built from <c>native/weighted_attribute_loss.cu</c>.</summary>
    public const string WeightedAttributeLossResource = "FashionNet.Native.weighted_attribute_loss.ptx";

    private static readonly Lazy<(PtxKernelSet? Kernels, string Reason)> Shared = new(Load);

    /// <summary>The embedded kernels; false, with the reason, when this build carries no PTX.</summary>
    public static bool TryGetKernelSet([NotNullWhen(true)] out PtxKernelSet? kernels, out string reason)
    {
        (kernels, reason) = Shared.Value;
        return kernels is not null;
    }

    /// <summary>The text of an embedded PTX resource, or null when the build did not embed it.</summary>
    public static string? ReadResource(string name)
    {
        using Stream? stream = typeof(NativePtx).Assembly.GetManifestResourceStream(name);
        if (stream is null)
            return null;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static (PtxKernelSet?, string) Load()
    {
        string? pooling = ReadResource(LandmarkPoolingResource);
        string? loss = ReadResource(WeightedAttributeLossResource);
        if (pooling is null || loss is null)
            return (null, "native PTX not embedded (clang++-14 was missing at build time)");
        return (new PtxKernelSet(
            KernelBackend.NativeCuda,
            new PtxKernel(pooling, "fashionnet_landmark_pooling_forward"),
            new PtxKernel(pooling, "fashionnet_landmark_pooling_backward"),
            new PtxKernel(loss, "fashionnet_weighted_attribute_loss_forward")), string.Empty);
    }
}
