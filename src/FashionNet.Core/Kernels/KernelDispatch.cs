using System.Diagnostics.CodeAnalysis;
using FashionNet.Kernels.Cpu;
using FashionNet.Kernels.Gpu;
using TorchSharp;

namespace FashionNet.Kernels;

/// <summary>
/// Resolves a <see cref="KernelBackend"/> for tensors on one device. <see cref="KernelBackend.Auto"/> takes the CPU
/// kernel for CPU tensors and, for CUDA tensors, ILGPU if available, else native CUDA; if neither is available it
/// throws rather than silently falling back to the much slower reference (ask for <see cref="KernelBackend.Reference"/>
/// explicitly for that). A null kernel means <see cref="KernelBackend.Reference"/>.
/// </summary>
internal static class KernelDispatch
{
    public static ILandmarkPoolingKernel? LandmarkPooling(KernelBackend backend, torch.Device device) =>
        Resolve<ILandmarkPoolingKernel>(backend, device, CpuLandmarkPoolingKernel.Instance, GpuKernels.TryGetLandmarkPooling);

    public static IWeightedAttributeLossKernel? WeightedAttributeLoss(KernelBackend backend, torch.Device device) =>
        Resolve<IWeightedAttributeLossKernel>(backend, device, CpuWeightedAttributeLossKernel.Instance, GpuKernels.TryGetWeightedAttributeLoss);

    private delegate bool TryGetGpuKernel<TKernel>(KernelBackend backend, torch.Device device, [NotNullWhen(true)] out TKernel? kernel, out string reason)
        where TKernel : class;

    private static TKernel? Resolve<TKernel>(KernelBackend backend, torch.Device device, TKernel cpuKernel, TryGetGpuKernel<TKernel> tryGetGpu)
        where TKernel : class
    {
        var isCpu = device.type == DeviceType.CPU;
        switch (backend)
        {
            case KernelBackend.Reference:
                return null;
            case KernelBackend.Cpu when isCpu:
            case KernelBackend.Auto when isCpu:
                return cpuKernel;
            case KernelBackend.Cpu:
                throw new NotSupportedException($"The {KernelBackend.Cpu} backend runs on CPU tensors only; the tensors are on {device}.");
            case KernelBackend.Auto:
                if (tryGetGpu(KernelBackend.Ilgpu, device, out var ilgpu, out var ilgpuReason))
                {
                    return ilgpu;
                }
                if (tryGetGpu(KernelBackend.NativeCuda, device, out var native, out var nativeReason))
                {
                    return native;
                }
                throw new NotSupportedException(
                    $"No kernel is available for tensors on {device}: {KernelBackend.Ilgpu}: {ilgpuReason}; " +
                    $"{KernelBackend.NativeCuda}: {nativeReason}. Use {nameof(KernelBackend)}.{KernelBackend.Reference} to run the tensor-operation version.");
            default:
                return tryGetGpu(backend, device, out var kernel, out var reason)
                    ? kernel
                    : throw new NotSupportedException($"The {backend} backend is not available on {device}: {reason}");
        }
    }
}
