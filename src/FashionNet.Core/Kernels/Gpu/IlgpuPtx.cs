using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace FashionNet.Kernels.Gpu;

/// <summary>
/// ILGPU as a C#-to-PTX compiler: <see cref="IlgpuKernels"/> compiled once per process by ILGPU's PTX backend. The
/// PTX is launched through FashionNet's own driver layer in the device's primary context, because ILGPU's CUDA
/// accelerator always creates a context of its own, where LibTorch's device pointers are not valid.
/// </summary>
internal static class IlgpuPtx
{
    /// <summary>
    /// The PTX target: sm_60 with PTX ISA 6.0, which every device since Pascal (H100 included) JIT-compiles from, and
    /// which has everything the kernels use (global float atomics).
    /// </summary>
    private static readonly CudaArchitecture Architecture = CudaArchitecture.SM_60;

    private static readonly Lazy<(PtxKernelSet? Kernels, string Reason)> Shared = new(Compile);

    /// <summary>The compiled kernels; false, with ILGPU's error, if compilation failed.</summary>
    public static bool TryGetKernelSet([NotNullWhen(true)] out PtxKernelSet? kernels, out string reason)
    {
        (kernels, reason) = Shared.Value;
        return kernels is not null;
    }

    private static (PtxKernelSet?, string) Compile()
    {
        try
        {
            using var context = Context.Create(builder => builder.Optimize(OptimizationLevel.O2));
            var backend = new PTXBackend(context, new CudaCapabilityContext(Architecture), Architecture, CudaInstructionSet.ISA_60, nvvmAPI: null);
            var kernels = new PtxKernelSet(
                KernelBackend.Ilgpu,
                CompileKernel(backend, nameof(IlgpuKernels.LandmarkPoolingForward)),
                CompileKernel(backend, nameof(IlgpuKernels.LandmarkPoolingBackward)),
                CompileKernel(backend, nameof(IlgpuKernels.WeightedAttributeLossForward)));
            return (kernels, string.Empty);
        }
        catch (Exception e)
        {
            // Reported, not thrown: a backend that cannot compile is unavailable, and the others still run.
            return (null, $"ILGPU could not compile the kernels to PTX: {e.GetType().Name}: {e.Message}");
        }
    }

    private static PtxKernel CompileKernel(PTXBackend backend, string methodName)
    {
        MethodInfo method = typeof(IlgpuKernels).GetMethod(methodName, BindingFlags.Public | BindingFlags.Static)!;
        var entry = EntryPointDescription.FromImplicitlyGroupedKernel(method);
        var compiled = (PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty);
        // ILGPU names the entry of an implicitly grouped kernel after the method.
        return new PtxKernel(compiled.PTXAssembly, "Kernel_" + methodName);
    }
}
