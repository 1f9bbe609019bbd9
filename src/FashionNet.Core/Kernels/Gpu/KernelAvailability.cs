using FashionNet.Kernels.Cuda;

namespace FashionNet.Kernels.Gpu;

/// <summary>Whether one backend can run on one kind of tensor here, and why (not).</summary>
/// <param name="Backend">The backend.</param>
/// <param name="Target">Where its tensors live: "any", "cpu" or "cuda".</param>
/// <param name="IsAvailable">Whether it can run.</param>
/// <param name="Detail">What it runs on when available (e.g. the GPU's name), the reason when not.</param>
public sealed record KernelBackendStatus(KernelBackend Backend, string Target, bool IsAvailable, string Detail);

/// <summary>Reports which operator backends this machine can run, for diagnostics such as <c>fashionnet demo</c>.</summary>
public static class KernelAvailability
{
    /// <summary>
    /// Probes every backend: Reference and Cpu always run; Ilgpu runs on ILGPU's CPU accelerator always and on CUDA
    /// when the driver (libcuda.so.1) sees a device that loads the ILGPU-compiled PTX; NativeCuda when the build
    /// embedded the clang-built PTX and the same holds. Loads the GPU kernels on device 0 as a side effect; never throws
    /// for a missing GPU.
    /// </summary>
    public static IReadOnlyList<KernelBackendStatus> Probe() =>
    [
        new(KernelBackend.Reference, "any", true, "TorchSharp tensor operations differentiated by autograd"),
        new(KernelBackend.Cpu, "cpu", true, $"managed parallel kernel, {Environment.ProcessorCount} threads"),
        new(KernelBackend.Ilgpu, "cpu", true, "ILGPU CPU accelerator (a testing aid, not a fast path)"),
        ProbeCuda(KernelBackend.Ilgpu),
        ProbeCuda(KernelBackend.NativeCuda),
    ];

    private static KernelBackendStatus ProbeCuda(KernelBackend backend)
    {
        if (!CudaKernelSet.TryGet(backend, 0, out var kernels, out string reason))
            return new(backend, "cuda", false, reason);
        var context = kernels.Context;
        return new(backend, "cuda", true,
            $"device 0: {context.DeviceName} (sm_{context.ComputeCapability.Major}{context.ComputeCapability.Minor}), primary context");
    }
}
