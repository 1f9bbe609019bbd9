using FashionNet.Kernels;

namespace FashionNet.Tests.Kernels;

/// <summary>The kernel backends every operator test checks against the reference oracle.</summary>
public static class KernelBackends
{
    /// <summary>
    /// Kernel backends that run on CPU tensors in this build: the CPU kernel, and the ILGPU kernels on ILGPU's CPU
    /// accelerator (the same kernel code that is compiled to PTX for CUDA tensors).
    /// </summary>
    public static IReadOnlyList<KernelBackend> Kernels { get; } = [KernelBackend.Cpu, KernelBackend.Ilgpu];

    /// <summary><see cref="Kernels"/> as theory data.</summary>
    public static TheoryData<KernelBackend> OnCpuTensors => new(Kernels);

    /// <summary><see cref="Kernels"/> and the reference, for tests that check the semantics on hand-computed cases.</summary>
    public static TheoryData<KernelBackend> WithReference => new(Kernels.Append(KernelBackend.Reference));
}
