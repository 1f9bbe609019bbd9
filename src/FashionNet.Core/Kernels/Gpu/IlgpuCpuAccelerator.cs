using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using TorchSharp;

namespace FashionNet.Kernels.Gpu;

/// <summary>
/// <see cref="IlgpuKernels"/> on ILGPU's CPU accelerator, for CPU tensors: a testing aid that runs the very kernel
/// code that becomes PTX, not a fast path. Tensor data is copied into accelerator buffers and back. One accelerator
/// serves the process; launches are serialised because an ILGPU accelerator runs one kernel at a time.
/// </summary>
internal sealed class IlgpuCpuAccelerator
{
    private static readonly Lazy<IlgpuCpuAccelerator> Shared = new(() => new IlgpuCpuAccelerator());

    private readonly Lock launchLock = new();
    private readonly Accelerator accelerator;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, LandmarkPoolingGeometry> poolingForward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, LandmarkPoolingGeometry> poolingBackward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> lossForward;

    private IlgpuCpuAccelerator()
    {
        // Lives as long as the process, like LibTorch's own thread pools.
        var context = Context.Create(builder => builder.CPU());
        accelerator = context.CreateCPUAccelerator(0);
        poolingForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, LandmarkPoolingGeometry>(
            IlgpuKernels.LandmarkPoolingForward);
        poolingBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, LandmarkPoolingGeometry>(
            IlgpuKernels.LandmarkPoolingBackward);
        lossForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(
            IlgpuKernels.WeightedAttributeLossForward);
    }

    /// <summary>The process-wide accelerator with the kernels loaded.</summary>
    public static IlgpuCpuAccelerator Instance => Shared.Value;

    /// <summary>Landmark pooling forward on contiguous CPU tensors.</summary>
    public void LandmarkPoolingForward(torch.Tensor features, torch.Tensor landmarks, torch.Tensor visibility, in LandmarkPoolingGeometry geometry,
        torch.Tensor output, torch.Tensor argmax)
    {
        int count = checked((int)geometry.OutputElements);
        if (count == 0)
            return;
        lock (launchLock)
        {
            using var featureBuffer = Upload<float>(features);
            using var landmarkBuffer = Upload<float>(landmarks);
            using var visibilityBuffer = Upload<float>(visibility);
            using var outputBuffer = accelerator.Allocate1D<float>(count);
            using var argmaxBuffer = accelerator.Allocate1D<int>(count);
            poolingForward(count, featureBuffer.View, landmarkBuffer.View, visibilityBuffer.View, outputBuffer.View, argmaxBuffer.View, geometry);
            accelerator.Synchronize();
            Download(outputBuffer, output);
            Download(argmaxBuffer, argmax);
        }
    }

    /// <summary>Landmark pooling backward on contiguous CPU tensors, adding into <paramref name="gradFeatures"/>.</summary>
    public void LandmarkPoolingBackward(torch.Tensor gradOutput, torch.Tensor argmax, in LandmarkPoolingGeometry geometry, torch.Tensor gradFeatures)
    {
        int count = checked((int)geometry.OutputElements);
        if (count == 0)
            return;
        lock (launchLock)
        {
            using var gradOutputBuffer = Upload<float>(gradOutput);
            using var argmaxBuffer = Upload<int>(argmax);
            using var gradFeaturesBuffer = Upload<float>(gradFeatures);
            poolingBackward(count, gradOutputBuffer.View, argmaxBuffer.View, gradFeaturesBuffer.View, geometry);
            accelerator.Synchronize();
            Download(gradFeaturesBuffer, gradFeatures);
        }
    }

    /// <summary>Weighted attribute loss forward on contiguous CPU tensors; <paramref name="mask"/> may be null.</summary>
    public void WeightedAttributeLossForward(torch.Tensor logits, torch.Tensor targets, torch.Tensor? mask, torch.Tensor posWeight, torch.Tensor negWeight,
        torch.Tensor loss, torch.Tensor gradLogits)
    {
        int count = checked((int)logits.numel());
        if (count == 0)
            return;
        lock (launchLock)
        {
            using var logitBuffer = Upload<float>(logits);
            using var targetBuffer = Upload<float>(targets);
            // Without a mask the kernel reads no mask element; it still needs a view, so it gets the logits'.
            using var maskBuffer = mask is null ? null : Upload<float>(mask);
            using var posWeightBuffer = Upload<float>(posWeight);
            using var negWeightBuffer = Upload<float>(negWeight);
            using var lossBuffer = accelerator.Allocate1D<float>(count);
            using var gradBuffer = accelerator.Allocate1D<float>(count);
            lossForward(count, logitBuffer.View, targetBuffer.View, (maskBuffer ?? logitBuffer).View, posWeightBuffer.View, negWeightBuffer.View,
                lossBuffer.View, gradBuffer.View, checked((int)posWeight.numel()), mask is null ? 0 : 1);
            accelerator.Synchronize();
            Download(lossBuffer, loss);
            Download(gradBuffer, gradLogits);
        }
    }

    private MemoryBuffer1D<T, Stride1D.Dense> Upload<T>(torch.Tensor tensor)
        where T : unmanaged
    {
        var buffer = accelerator.Allocate1D<T>(tensor.numel());
        buffer.View.BaseView.CopyFromCPU(TensorMemory.Span<T>(tensor));
        return buffer;
    }

    private static void Download<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer, torch.Tensor tensor)
        where T : unmanaged =>
        buffer.View.BaseView.CopyToCPU(TensorMemory.Span<T>(tensor));
}

/// <summary>Landmark pooling through ILGPU's CPU accelerator (CPU tensors).</summary>
internal sealed class IlgpuCpuAcceleratorLandmarkPoolingKernel : ILandmarkPoolingKernel
{
    /// <inheritdoc/>
    public void Forward(torch.Tensor features, torch.Tensor landmarks, torch.Tensor visibility, in LandmarkPoolingGeometry geometry,
        torch.Tensor output, torch.Tensor argmax) =>
        IlgpuCpuAccelerator.Instance.LandmarkPoolingForward(features, landmarks, visibility, geometry, output, argmax);

    /// <inheritdoc/>
    public void Backward(torch.Tensor gradOutput, torch.Tensor argmax, in LandmarkPoolingGeometry geometry, torch.Tensor gradFeatures) =>
        IlgpuCpuAccelerator.Instance.LandmarkPoolingBackward(gradOutput, argmax, geometry, gradFeatures);
}

/// <summary>The weighted attribute loss through ILGPU's CPU accelerator (CPU tensors).</summary>
internal sealed class IlgpuCpuAcceleratorWeightedAttributeLossKernel : IWeightedAttributeLossKernel
{
    /// <inheritdoc/>
    public void Forward(torch.Tensor logits, torch.Tensor targets, torch.Tensor? mask, torch.Tensor posWeight, torch.Tensor negWeight,
        torch.Tensor loss, torch.Tensor gradLogits) =>
        IlgpuCpuAccelerator.Instance.WeightedAttributeLossForward(logits, targets, mask, posWeight, negWeight, loss, gradLogits);
}
