namespace FashionNet.Kernels.Gpu;

/// <summary>One kernel as PTX text and the name of its <c>.entry</c>.</summary>
internal sealed record PtxKernel(string Ptx, string EntryPoint);

/// <summary>
/// The three kernels of one GPU backend as PTX. Both backends' entries take the same parameters (see
/// <see cref="CudaKernelSet"/>), so a set from either source is launched the same way.
/// </summary>
internal sealed record PtxKernelSet(
    KernelBackend Backend,
    PtxKernel LandmarkPoolingForward,
    PtxKernel LandmarkPoolingBackward,
    PtxKernel WeightedAttributeLossForward);
