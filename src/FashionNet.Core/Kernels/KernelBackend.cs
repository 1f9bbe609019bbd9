namespace FashionNet.Kernels;

/// <summary>Selects which implementation of a custom operator runs.</summary>
public enum KernelBackend
{
    /// <summary>Pick by the tensors' device: the CPU kernel for CPU tensors; ILGPU, else native CUDA, for CUDA tensors.</summary>
    Auto,

    /// <summary>Pure TorchSharp tensor operations differentiated by autograd: the oracle and the benchmark baseline.</summary>
    Reference,

    /// <summary>Managed, parallel C# kernel over the CPU tensors' memory.</summary>
    Cpu,

    /// <summary>ILGPU kernels: PTX launched on CUDA tensors, or ILGPU's CPU accelerator for CPU tensors (a testing aid).</summary>
    Ilgpu,

    /// <summary>CUDA C kernels from <c>native/</c>, built to PTX at build time and launched on CUDA tensors.</summary>
    NativeCuda,
}
