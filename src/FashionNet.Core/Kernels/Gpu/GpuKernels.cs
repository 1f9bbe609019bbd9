using System.Diagnostics.CodeAnalysis;
using TorchSharp;

namespace FashionNet.Kernels.Gpu;

/// <summary>
/// The kernels of the ILGPU and native CUDA backends for a device: ILGPU's CPU accelerator for CPU tensors (a
/// testing aid), PTX launched in the device's primary context for CUDA tensors. Nothing here throws for a missing
/// GPU, driver or PTX: the answer is false with the reason.
/// </summary>
internal static class GpuKernels
{
    /// <summary>The landmark pooling kernel of <paramref name="backend"/> (Ilgpu or NativeCuda) for tensors on <paramref name="device"/>.</summary>
    public static bool TryGetLandmarkPooling(KernelBackend backend, torch.Device device, [NotNullWhen(true)] out ILandmarkPoolingKernel? kernel,
        out string reason)
    {
        kernel = null;
        if (IsIlgpuOnCpu(backend, device))
        {
            reason = string.Empty;
            kernel = new IlgpuCpuAcceleratorLandmarkPoolingKernel();
            return true;
        }
        if (!TryGetCudaKernels(backend, device, out var kernels, out reason))
            return false;
        kernel = new CudaLandmarkPoolingKernel(kernels);
        return true;
    }

    /// <summary>The weighted attribute loss kernel of <paramref name="backend"/> (Ilgpu or NativeCuda) for tensors on <paramref name="device"/>.</summary>
    public static bool TryGetWeightedAttributeLoss(KernelBackend backend, torch.Device device, [NotNullWhen(true)] out IWeightedAttributeLossKernel? kernel,
        out string reason)
    {
        kernel = null;
        if (IsIlgpuOnCpu(backend, device))
        {
            reason = string.Empty;
            kernel = new IlgpuCpuAcceleratorWeightedAttributeLossKernel();
            return true;
        }
        if (!TryGetCudaKernels(backend, device, out var kernels, out reason))
            return false;
        kernel = new CudaWeightedAttributeLossKernel(kernels);
        return true;
    }

    private static bool IsIlgpuOnCpu(KernelBackend backend, torch.Device device) =>
        backend == KernelBackend.Ilgpu && device.type == DeviceType.CPU;

    private static bool TryGetCudaKernels(KernelBackend backend, torch.Device device, [NotNullWhen(true)] out CudaKernelSet? kernels, out string reason)
    {
        kernels = null;
        if (backend is not (KernelBackend.Ilgpu or KernelBackend.NativeCuda))
        {
            reason = $"{backend} is not a GPU backend (GPU backends: {KernelBackend.Ilgpu}, {KernelBackend.NativeCuda})";
            return false;
        }
        if (device.type != DeviceType.CUDA)
        {
            reason = $"{backend} runs on CUDA tensors, these are on {device}";
            return false;
        }
        // Index -1 is "the current device", which LibTorch leaves at 0 unless told otherwise.
        int ordinal = Math.Max(device.index, 0);
        return CudaKernelSet.TryGet(backend, ordinal, out kernels, out reason);
    }
}
