using FashionNet.Kernels;

namespace FashionNet.Tests.Kernels;

/// <summary>The kernel backends every operator test checks against the reference oracle.</summary>
public static class KernelBackends
{
    /// <summary>Kernel backends that run on CPU tensors in this build.</summary>
    public static IReadOnlyList<KernelBackend> Kernels { get; } = [KernelBackend.Cpu];

    /// <summary><see cref="Kernels"/> as theory data.</summary>
    public static TheoryData<KernelBackend> OnCpuTensors => new(Kernels);

    /// <summary><see cref="Kernels"/> and the reference, for tests that check the semantics on hand-computed cases.</summary>
    public static TheoryData<KernelBackend> WithReference => new(Kernels.Append(KernelBackend.Reference));
}
