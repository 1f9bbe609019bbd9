using FashionNet.Kernels;
using FashionNet.Kernels.Cuda;
using FashionNet.Kernels.Gpu;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Tests.Kernels.Gpu;

/// <summary>The GPU paths report what they need instead of failing; on a machine without a GPU they say why.</summary>
public class GpuAvailabilityTests
{
    private static readonly Device Cuda0 = new(DeviceType.CUDA, 0);

    [Fact]
    public void ProbeListsEveryBackendWithAReason()
    {
        var statuses = KernelAvailability.Probe();

        Assert.Equal(
            [(KernelBackend.Reference, "any"), (KernelBackend.Cpu, "cpu"), (KernelBackend.Ilgpu, "cpu"), (KernelBackend.Ilgpu, "cuda"), (KernelBackend.NativeCuda, "cuda")],
            statuses.Select(s => (s.Backend, s.Target)));
        Assert.All(statuses.Take(3), s => Assert.True(s.IsAvailable));
        Assert.All(statuses, s => Assert.False(string.IsNullOrWhiteSpace(s.Detail)));
        bool hasGpu = CudaDriver.TryGet(out _, out _);
        Assert.Equal(hasGpu, statuses[3].IsAvailable);
    }

    [SkippableFact]
    public void CudaKernelsWithoutAGpuAreUnavailableWithTheDriversReason()
    {
        Skip.If(CudaDriver.TryGet(out _, out _), "this machine has a CUDA device");
        CudaDriver.TryGet(out _, out string driverReason);

        Assert.False(GpuKernels.TryGetLandmarkPooling(KernelBackend.Ilgpu, Cuda0, out var pooling, out string reason));
        Assert.Null(pooling);
        Assert.Equal(driverReason, reason);
        Assert.False(GpuKernels.TryGetWeightedAttributeLoss(KernelBackend.NativeCuda, Cuda0, out _, out reason));
        Assert.False(string.IsNullOrWhiteSpace(reason));
    }

    [Theory]
    [InlineData(KernelBackend.NativeCuda, "cpu")]
    [InlineData(KernelBackend.Cpu, "cuda")]
    [InlineData(KernelBackend.Reference, "cuda")]
    public void NonGpuRequestsAreRefusedWithAReason(KernelBackend backend, string device)
    {
        var target = device == "cpu" ? CPU : Cuda0;
        Assert.False(GpuKernels.TryGetLandmarkPooling(backend, target, out _, out string reason));
        Assert.Contains(backend.ToString(), reason, StringComparison.Ordinal);
        Assert.False(GpuKernels.TryGetWeightedAttributeLoss(backend, target, out _, out reason));
        Assert.Contains(backend.ToString(), reason, StringComparison.Ordinal);
    }

    [Fact]
    public unsafe void DeviceViewAddressesTheTensorsFirstElementAtItsStorageOffset()
    {
        using var scope = NewDisposeScope();
        var whole = arange(10, dtype: ScalarType.Float32);
        var tail = whole.narrow(0, 4, 6);

        var view = DeviceView.Of(tail);

        Assert.Equal(6, view.Length);
        Assert.Equal(4f, *(float*)view.Pointer);
        Assert.Equal(5f, TensorMemory.Span<float>(tail)[1]);
    }
}
