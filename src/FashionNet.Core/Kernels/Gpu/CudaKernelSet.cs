using System.Diagnostics.CodeAnalysis;
using FashionNet.Kernels.Cuda;

namespace FashionNet.Kernels.Gpu;

/// <summary>
/// One backend's kernels (ILGPU-compiled or native PTX) loaded into one device's primary context, launched on raw
/// device buffers. Parameter layout of every entry, shared by both backends and checked by the tests against the
/// PTX: <c>int count</c>, then each buffer as a 16-byte <see cref="DeviceView"/>, then the scalars
/// (<see cref="LandmarkPoolingGeometry"/> as a 28-byte struct; <c>int attributes, int hasMask</c>).
/// Launches are asynchronous on the default stream, the one LibTorch's CUDA tensors use.
/// </summary>
internal sealed unsafe class CudaKernelSet : IDisposable
{
    private static readonly Lock CacheLock = new();
    private static readonly Dictionary<(KernelBackend, int), (CudaKernelSet? Kernels, string Reason)> Cache = [];

    private readonly List<CudaModule> modules = [];
    private readonly CudaFunction poolingForward;
    private readonly CudaFunction poolingBackward;
    private readonly CudaFunction lossForward;

    /// <summary>Loads <paramref name="kernels"/> into <paramref name="context"/>; throws <see cref="CudaException"/> if the driver rejects them.</summary>
    public CudaKernelSet(CudaPrimaryContext context, PtxKernelSet kernels)
    {
        Context = context;
        Backend = kernels.Backend;
        try
        {
            poolingForward = Load(kernels.LandmarkPoolingForward);
            poolingBackward = Load(kernels.LandmarkPoolingBackward);
            lossForward = Load(kernels.WeightedAttributeLossForward);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The device context the kernels live in.</summary>
    public CudaPrimaryContext Context { get; }

    /// <summary>Which backend's PTX this is.</summary>
    public KernelBackend Backend { get; }

    /// <summary>
    /// The process-wide kernel set of <paramref name="backend"/> (Ilgpu or NativeCuda) on CUDA device
    /// <paramref name="ordinal"/>, loaded on first use and kept for the process (a failure is remembered too).
    /// </summary>
    public static bool TryGet(KernelBackend backend, int ordinal, [NotNullWhen(true)] out CudaKernelSet? kernels, out string reason)
    {
        lock (CacheLock)
        {
            if (!Cache.TryGetValue((backend, ordinal), out var entry))
            {
                entry = Load(backend, ordinal);
                Cache[(backend, ordinal)] = entry;
            }
            (kernels, reason) = entry;
            return kernels is not null;
        }
    }

    private static (CudaKernelSet?, string) Load(KernelBackend backend, int ordinal)
    {
        PtxKernelSet? kernels;
        string reason;
        switch (backend)
        {
            case KernelBackend.Ilgpu:
                IlgpuPtx.TryGetKernelSet(out kernels, out reason);
                break;
            case KernelBackend.NativeCuda:
                NativePtx.TryGetKernelSet(out kernels, out reason);
                break;
            default:
                return (null, $"{backend} has no CUDA kernels");
        }
        if (kernels is null)
            return (null, reason);
        if (!CudaDriver.TryGet(out var driver, out reason))
            return (null, reason);
        if (ordinal < 0 || ordinal >= driver.DeviceCount)
            return (null, $"CUDA device {ordinal} does not exist (the driver sees {driver.DeviceCount})");

        CudaPrimaryContext? context = null;
        try
        {
            context = CudaPrimaryContext.Retain(driver, ordinal);
            return (new CudaKernelSet(context, kernels), string.Empty);
        }
        catch (CudaException e)
        {
            context?.Dispose();
            return (null, e.Message);
        }
    }

    private CudaFunction Load(PtxKernel kernel)
    {
        var module = Context.LoadModule(kernel.Ptx);
        modules.Add(module);
        return module.GetFunction(kernel.EntryPoint);
    }

    /// <summary>Landmark pooling forward on device buffers (see <see cref="ILandmarkPoolingKernel.Forward"/>).</summary>
    public void LandmarkPoolingForward(DeviceView features, DeviceView landmarks, DeviceView visibility, DeviceView output, DeviceView argmax,
        LandmarkPoolingGeometry geometry)
    {
        int count = checked((int)geometry.OutputElements);
        void** arguments = stackalloc void*[] { &count, &features, &landmarks, &visibility, &output, &argmax, &geometry };
        poolingForward.Launch(count, arguments);
    }

    /// <summary>Landmark pooling backward on device buffers; <paramref name="gradFeatures"/> must be zero-filled or hold gradients to add to.</summary>
    public void LandmarkPoolingBackward(DeviceView gradOutput, DeviceView argmax, DeviceView gradFeatures, LandmarkPoolingGeometry geometry)
    {
        int count = checked((int)geometry.OutputElements);
        void** arguments = stackalloc void*[] { &count, &gradOutput, &argmax, &gradFeatures, &geometry };
        poolingBackward.Launch(count, arguments);
    }

    /// <summary>Weighted attribute loss forward on device buffers of <paramref name="count"/> = N * A elements; <paramref name="mask"/> may be <see cref="DeviceView.None"/>.</summary>
    public void WeightedAttributeLossForward(int count, int attributes, DeviceView logits, DeviceView targets, DeviceView mask,
        DeviceView posWeight, DeviceView negWeight, DeviceView loss, DeviceView gradLogits)
    {
        int hasMask = mask.Pointer != 0 ? 1 : 0;
        void** arguments = stackalloc void*[] { &count, &logits, &targets, &mask, &posWeight, &negWeight, &loss, &gradLogits, &attributes, &hasMask };
        lossForward.Launch(count, arguments);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var module in modules)
            module.Dispose();
        modules.Clear();
        Context.Dispose();
    }
}
