using System.Diagnostics.CodeAnalysis;
using TorchSharp;

namespace FashionNet.Kernels.Gpu;

/// <summary>
/// Entry point to the ILGPU and native CUDA implementations. This build carries no GPU kernels, so every request
/// reports "not available" with the reason.
/// </summary>
internal static class GpuKernels
{
    private const string NotInThisBuild = "GPU kernels are not part of this build";

    /// <summary>Returns the landmark pooling kernel of <paramref name="backend"/> for tensors on <paramref name="device"/>, or false with the reason.</summary>
    public static bool TryGetLandmarkPooling(KernelBackend backend, torch.Device device,
        [NotNullWhen(true)] out ILandmarkPoolingKernel? kernel, out string reason)
    {
        kernel = null;
        reason = NotInThisBuild;
        return false;
    }

    /// <summary>Returns the weighted attribute loss kernel of <paramref name="backend"/> for tensors on <paramref name="device"/>, or false with the reason.</summary>
    public static bool TryGetWeightedAttributeLoss(KernelBackend backend, torch.Device device,
        [NotNullWhen(true)] out IWeightedAttributeLossKernel? kernel, out string reason)
    {
        kernel = null;
        reason = NotInThisBuild;
        return false;
    }
}
