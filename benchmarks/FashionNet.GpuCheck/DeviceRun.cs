using FashionNet.Kernels.Cuda;
using FashionNet.Kernels.Gpu;

namespace FashionNet.GpuCheck;

/// <summary>One <see cref="CheckInputs"/> in device memory of a backend's context, run and timed with that backend's kernels.</summary>
internal sealed class DeviceRun : IDisposable
{
    private readonly CudaKernelSet kernels;
    private readonly CheckInputs inputs;
    private readonly List<IDisposable> buffers = [];
    private readonly CudaDeviceMemory<float> features, landmarks, visibility, pooled, gradOutput, gradFeatures;
    private readonly CudaDeviceMemory<int> argmax;
    private readonly CudaDeviceMemory<float> logits, targets, mask, posWeight, negWeight, loss, gradLogits;

    public DeviceRun(CudaKernelSet kernels, CheckInputs inputs)
    {
        this.kernels = kernels;
        this.inputs = inputs;
        features = Upload(inputs.Features);
        landmarks = Upload(inputs.Landmarks2D);
        visibility = Upload(inputs.Visibility);
        pooled = Allocate<float>(inputs.Geometry.OutputElements);
        argmax = Allocate<int>(inputs.Geometry.OutputElements);
        gradOutput = Upload(inputs.GradOutput);
        gradFeatures = Allocate<float>(inputs.FeatureElements);
        logits = Upload(inputs.Logits);
        targets = Upload(inputs.Targets);
        mask = Upload(inputs.Mask);
        posWeight = Upload(inputs.PosWeight);
        negWeight = Upload(inputs.NegWeight);
        loss = Allocate<float>(inputs.LossElements);
        gradLogits = Allocate<float>(inputs.LossElements);
    }

    /// <summary>Bytes a forward + backward of pooling moves at least: window reads, output and argmax, the dense gradient, the scatter.</summary>
    public long PoolingBytes
    {
        get
        {
            var g = inputs.Geometry;
            long outputs = g.OutputElements;
            return outputs * (g.WindowSize * g.WindowSize * 4 + 8) + inputs.FeatureElements * 4 + outputs * (8 + 8);
        }
    }

    /// <summary>Bytes the loss kernel moves: logits, targets and mask in, loss and gradient out, the weights.</summary>
    public long LossBytes => (long)inputs.LossElements * 5 * 4 + 2L * inputs.PosWeight.Length * 4;

    /// <summary>Runs everything once and copies the results back.</summary>
    public CheckOutputs Execute()
    {
        var outputs = CheckOutputs.For(inputs);
        PoolingForwardBackward();
        LossForward();
        kernels.Context.Synchronize();
        pooled.CopyTo(outputs.Pooled);
        argmax.CopyTo(outputs.Argmax);
        gradFeatures.CopyTo(outputs.GradFeatures);
        loss.CopyTo(outputs.Loss);
        gradLogits.CopyTo(outputs.GradLogits);
        return outputs;
    }

    /// <summary>Milliseconds per iteration of pooling forward + backward and of the loss, from CUDA events around each loop.</summary>
    public (double PoolingMilliseconds, double LossMilliseconds) Time(int warmup, int iterations)
    {
        return (Measure(PoolingForwardBackward), Measure(LossForward));

        double Measure(Action step)
        {
            for (int i = 0; i < warmup; i++)
                step();
            using var start = new CudaEvent(kernels.Context);
            using var end = new CudaEvent(kernels.Context);
            start.Record();
            for (int i = 0; i < iterations; i++)
                step();
            end.Record();
            return CudaEvent.ElapsedMilliseconds(start, end) / iterations;
        }
    }

    private void PoolingForwardBackward()
    {
        kernels.LandmarkPoolingForward(features.View, landmarks.View, visibility.View, pooled.View, argmax.View, inputs.Geometry);
        gradFeatures.Clear();
        kernels.LandmarkPoolingBackward(gradOutput.View, argmax.View, gradFeatures.View, inputs.Geometry);
    }

    // The loss kernel writes the gradient too: backward is only its scaling by the upstream gradient.
    private void LossForward() =>
        kernels.WeightedAttributeLossForward(inputs.LossElements, CheckInputs.Attributes, logits.View, targets.View, mask.View, posWeight.View,
            negWeight.View, loss.View, gradLogits.View);

    private CudaDeviceMemory<T> Allocate<T>(long length)
        where T : unmanaged
    {
        var buffer = new CudaDeviceMemory<T>(kernels.Context, length);
        buffers.Add(buffer);
        return buffer;
    }

    private CudaDeviceMemory<T> Upload<T>(T[] values)
        where T : unmanaged
    {
        var buffer = Allocate<T>(values.LongLength);
        buffer.CopyFrom(values);
        return buffer;
    }

    public void Dispose()
    {
        foreach (var buffer in buffers)
            buffer.Dispose();
    }
}
