using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using TorchSharp;

namespace FashionNet.Kernels.Gpu;

/// <summary>
/// <see cref="IlgpuKernels"/> on ILGPU's CPU accelerator, on host memory: a testing aid that runs the very kernel code
/// that becomes PTX, not a fast path. Data is copied into accelerator buffers and back. One accelerator
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

    /// <summary>Landmark pooling forward on host memory (see <see cref="ILandmarkPoolingKernel.Forward"/> for the layouts).</summary>
    public void LandmarkPoolingForward(ReadOnlySpan<float> features, ReadOnlySpan<float> landmarks, ReadOnlySpan<float> visibility,
        in LandmarkPoolingGeometry geometry, Span<float> output, Span<int> argmax)
    {
        int count = checked((int)geometry.OutputElements);
        if (count == 0)
            return;
        lock (launchLock)
        {
            using var featureBuffer = Upload(features);
            using var landmarkBuffer = Upload(landmarks);
            using var visibilityBuffer = Upload(visibility);
            using var outputBuffer = accelerator.Allocate1D<float>(count);
            using var argmaxBuffer = accelerator.Allocate1D<int>(count);
            poolingForward(count, featureBuffer.View, landmarkBuffer.View, visibilityBuffer.View, outputBuffer.View, argmaxBuffer.View, geometry);
            accelerator.Synchronize();
            outputBuffer.View.BaseView.CopyToCPU(output);
            argmaxBuffer.View.BaseView.CopyToCPU(argmax);
        }
    }

    /// <summary>Landmark pooling backward on host memory, adding into <paramref name="gradFeatures"/>.</summary>
    public void LandmarkPoolingBackward(ReadOnlySpan<float> gradOutput, ReadOnlySpan<int> argmax, in LandmarkPoolingGeometry geometry,
        Span<float> gradFeatures)
    {
        int count = checked((int)geometry.OutputElements);
        if (count == 0)
            return;
        lock (launchLock)
        {
            using var gradOutputBuffer = Upload(gradOutput);
            using var argmaxBuffer = Upload(argmax);
            using var gradFeaturesBuffer = Upload<float>(gradFeatures);
            poolingBackward(count, gradOutputBuffer.View, argmaxBuffer.View, gradFeaturesBuffer.View, geometry);
            accelerator.Synchronize();
            gradFeaturesBuffer.View.BaseView.CopyToCPU(gradFeatures);
        }
    }

    /// <summary>Weighted attribute loss forward on host memory of <c>N * A</c> elements; an empty <paramref name="mask"/> means every entry is labelled.</summary>
    public void WeightedAttributeLossForward(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, ReadOnlySpan<float> mask,
        ReadOnlySpan<float> posWeight, ReadOnlySpan<float> negWeight, Span<float> loss, Span<float> gradLogits)
    {
        int count = logits.Length;
        if (count == 0)
            return;
        bool hasMask = !mask.IsEmpty;
        lock (launchLock)
        {
            using var logitBuffer = Upload(logits);
            using var targetBuffer = Upload(targets);
            // Without a mask the kernel reads no mask element; it still needs a view, so it gets the logits'.
            using var maskBuffer = hasMask ? Upload(mask) : null;
            using var posWeightBuffer = Upload(posWeight);
            using var negWeightBuffer = Upload(negWeight);
            using var lossBuffer = accelerator.Allocate1D<float>(count);
            using var gradBuffer = accelerator.Allocate1D<float>(count);
            lossForward(count, logitBuffer.View, targetBuffer.View, (maskBuffer ?? logitBuffer).View, posWeightBuffer.View, negWeightBuffer.View,
                lossBuffer.View, gradBuffer.View, posWeight.Length, hasMask ? 1 : 0);
            accelerator.Synchronize();
            lossBuffer.View.BaseView.CopyToCPU(loss);
            gradBuffer.View.BaseView.CopyToCPU(gradLogits);
        }
    }

    private MemoryBuffer1D<T, Stride1D.Dense> Upload<T>(ReadOnlySpan<T> data)
        where T : unmanaged
    {
        var buffer = accelerator.Allocate1D<T>(data.Length);
        buffer.View.BaseView.CopyFromCPU(data);
        return buffer;
    }
}

/// <summary>Landmark pooling through ILGPU's CPU accelerator (CPU tensors).</summary>
internal sealed class IlgpuCpuAcceleratorLandmarkPoolingKernel : ILandmarkPoolingKernel
{
    /// <inheritdoc/>
    public void Forward(torch.Tensor features, torch.Tensor landmarks, torch.Tensor visibility, in LandmarkPoolingGeometry geometry,
        torch.Tensor output, torch.Tensor argmax) =>
        IlgpuCpuAccelerator.Instance.LandmarkPoolingForward(TensorMemory.Span<float>(features), TensorMemory.Span<float>(landmarks),
            TensorMemory.Span<float>(visibility), geometry, TensorMemory.Span<float>(output), TensorMemory.Span<int>(argmax));

    /// <inheritdoc/>
    public void Backward(torch.Tensor gradOutput, torch.Tensor argmax, in LandmarkPoolingGeometry geometry, torch.Tensor gradFeatures) =>
        IlgpuCpuAccelerator.Instance.LandmarkPoolingBackward(TensorMemory.Span<float>(gradOutput), TensorMemory.Span<int>(argmax), geometry,
            TensorMemory.Span<float>(gradFeatures));
}

/// <summary>The weighted attribute loss through ILGPU's CPU accelerator (CPU tensors).</summary>
internal sealed class IlgpuCpuAcceleratorWeightedAttributeLossKernel : IWeightedAttributeLossKernel
{
    /// <inheritdoc/>
    public void Forward(torch.Tensor logits, torch.Tensor targets, torch.Tensor? mask, torch.Tensor posWeight, torch.Tensor negWeight,
        torch.Tensor loss, torch.Tensor gradLogits) =>
        IlgpuCpuAccelerator.Instance.WeightedAttributeLossForward(TensorMemory.Span<float>(logits), TensorMemory.Span<float>(targets),
            mask is null ? [] : TensorMemory.Span<float>(mask), TensorMemory.Span<float>(posWeight), TensorMemory.Span<float>(negWeight),
            TensorMemory.Span<float>(loss), TensorMemory.Span<float>(gradLogits));
}
