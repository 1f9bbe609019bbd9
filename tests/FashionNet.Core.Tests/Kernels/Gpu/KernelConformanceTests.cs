using FashionNet.Kernels;
using FashionNet.Kernels.Gpu;
using static TorchSharp.torch;

namespace FashionNet.Tests.Kernels.Gpu;

/// <summary>
/// One GPU kernel implementation, run on the host on CPU tensors, against <see cref="NaiveOracle"/>: forward pooling
/// bit-exact, backward exact, loss and gradient within 1e-5 relative. Shapes are small on purpose (ILGPU's CPU
/// accelerator is slow).
/// </summary>
public abstract class KernelConformanceTests
{
    private const int Channels = 3, Height = 5, Width = 6, Landmarks = 7;
    private const float ImageWidth = 48f, ImageHeight = 40f;  // 8 pixels per cell both ways; landmarks below are in these pixels, then normalized

    /// <summary>The pooling kernel under test (may skip the test when it cannot be had here).</summary>
    private protected abstract ILandmarkPoolingKernel Pooling { get; }

    /// <summary>The loss kernel under test (may skip the test when it cannot be had here).</summary>
    private protected abstract IWeightedAttributeLossKernel Loss { get; }

    [SkippableTheory]
    [InlineData(3, 1)]
    [InlineData(3, 2)]   // bins of 2 and 2 rows: the middle row belongs to both (RoIPool's floor/ceil)
    [InlineData(5, 3)]
    [InlineData(7, 2)]   // window larger than the 5 x 6 map
    [InlineData(1, 1)]
    [InlineData(1, 2)]   // more bins than window cells: each bin is the one cell
    public void PoolingForwardIsBitExactAndBackwardAccumulatesOverlaps(int window, int bins)
    {
        using var scope = NewDisposeScope();
        var geometry = new LandmarkPoolingGeometry(2, Channels, Height, Width, Landmarks, window, bins);
        var random = new Random(window * 10 + bins);
        // Values from {0, 1, 2}: windows hold many ties, which must go to the first maximum in row-major order.
        float[] features = Enumerable.Range(0, 2 * Channels * Height * Width).Select(_ => (float)random.Next(3)).ToArray();
        float[] landmarks = Normalized(
        [
            // sample 0: centre; same cell twice (fully overlapping windows); the corners; on the right/bottom image border
            20f, 20f, 20f, 21f, 0f, 0f, 47.9f, 39.9f, 48f, 40f, 9f, 12f, 30f, 5f,
            // sample 1: left of and far beyond the map, a huge coordinate, just outside the top, and adjacent cells
            -9f, 20f, -1000f, -1000f, 1e6f, 20f, 20f, -0.5f, 25f, 17f, 33f, 17f, 41f, 25f,
        ]);
        float[] visibility = [1, 1, 1, 1, 1, 1, 0, 1, 1, 2, 1, 1, 1, 1];

        var (output, argmax) = RunForward(features, landmarks, visibility, geometry);
        var (expectedOutput, expectedArgmax) = NaiveOracle.LandmarkPoolingForward(features, landmarks, visibility, geometry);
        Assert.Equal(expectedArgmax, argmax);
        Assert.Equal(expectedOutput, output);

        // Integer gradients: sums over overlapping windows are exact whatever order the atomic adds land in.
        float[] gradOutput = Enumerable.Range(0, output.Length).Select(_ => (float)random.Next(1, 5)).ToArray();
        Assert.Equal(NaiveOracle.LandmarkPoolingBackward(gradOutput, expectedArgmax, geometry), RunBackward(gradOutput, expectedArgmax, geometry));
    }

    [SkippableFact]
    public void PoolingOfInvisibleLandmarksAndAnEmptyBatchIsZeroWithNoArgmax()
    {
        using var scope = NewDisposeScope();
        var geometry = new LandmarkPoolingGeometry(1, Channels, Height, Width, Landmarks, 3, 2);
        float[] features = Enumerable.Range(1, Channels * Height * Width).Select(v => (float)v).ToArray();
        float[] landmarks = Enumerable.Repeat(0.4f, 2 * Landmarks).ToArray();

        var (output, argmax) = RunForward(features, landmarks, new float[Landmarks], geometry);

        Assert.All(output, value => Assert.Equal(0f, value));
        Assert.All(argmax, cell => Assert.Equal(-1, cell));
        Assert.All(RunBackward(Enumerable.Repeat(1f, output.Length).ToArray(), argmax, geometry), value => Assert.Equal(0f, value));

        var empty = geometry with { Batch = 0 };
        var (emptyOutput, emptyArgmax) = RunForward([], [], [], empty);
        Assert.Empty(emptyOutput);
        Assert.Empty(emptyArgmax);
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void LossAndGradientMatchTheDoubleOracleIncludingExtremeLogits(bool masked)
    {
        using var scope = NewDisposeScope();
        float[] logitValues = [-1e4f, -104f, -100f, -30f, -20f, -5f, -1f, -1e-3f, 0f, 1e-3f, 1f, 5f, 20f, 30f, 100f, 1e4f];
        int attributes = logitValues.Length;
        const int Rows = 2;  // row 0 all targets 1, row 1 all targets 0
        float[] logits = [.. logitValues, .. logitValues];
        float[] targets = [.. Enumerable.Repeat(1f, attributes), .. Enumerable.Repeat(0f, attributes)];
        float[] mask = Enumerable.Range(0, Rows * attributes).Select(i => i % 5 == 3 ? 0f : 1f).ToArray();
        float[] posWeight = Enumerable.Range(0, attributes).Select(a => 0.5f + a).ToArray();
        float[] negWeight = Enumerable.Range(0, attributes).Select(a => 2f / (a + 1)).ToArray();

        using var loss = empty(Rows, attributes);
        using var grad = empty(Rows, attributes);
        Loss.Forward(Shaped(logits, Rows, attributes), Shaped(targets, Rows, attributes), masked ? Shaped(mask, Rows, attributes) : null,
            tensor(posWeight), tensor(negWeight), loss, grad);

        float[] lossValues = loss.data<float>().ToArray(), gradValues = grad.data<float>().ToArray();
        for (int i = 0; i < logits.Length; i++)
        {
            var (expectedLoss, expectedGrad) = NaiveOracle.WeightedAttributeLoss(logits[i], targets[i], masked ? mask[i] : 1, posWeight[i % attributes], negWeight[i % attributes]);
            AssertClose(expectedLoss, lossValues[i], $"loss at logit {logits[i]}, target {targets[i]}");
            AssertClose(expectedGrad, gradValues[i], $"gradient at logit {logits[i]}, target {targets[i]}");
            if (masked && mask[i] == 0)
                Assert.True(lossValues[i] == 0f && gradValues[i] == 0f, $"masked entry {i} must be exactly 0");
        }
    }

    /// <summary>1e-5 relative; below float32's normal range (results of e^-100 and smaller) absolute.</summary>
    private static void AssertClose(double expected, float actual, string what) =>
        Assert.True(Math.Abs(actual - expected) <= 1e-5 * Math.Abs(expected) + 1e-37, $"{what}: expected {expected:R}, got {actual:R}");

    private (float[] Output, int[] Argmax) RunForward(float[] features, float[] landmarks, float[] visibility, LandmarkPoolingGeometry g)
    {
        var output = empty(new long[] { g.Batch, g.Landmarks, g.Channels, g.Bins, g.Bins });
        var argmax = empty(new long[] { g.Batch, g.Landmarks, g.Channels, g.Bins, g.Bins }, ScalarType.Int32);
        Pooling.Forward(Shaped(features, g.Batch, g.Channels, g.Height, g.Width), Shaped(landmarks, g.Batch, g.Landmarks, 2),
            Shaped(visibility, g.Batch, g.Landmarks), g, output, argmax);
        return (Values<float>(output), Values<int>(argmax));
    }

    private float[] RunBackward(float[] gradOutput, int[] argmax, LandmarkPoolingGeometry g)
    {
        var gradFeatures = zeros(g.Batch, g.Channels, g.Height, g.Width);
        Pooling.Backward(Shaped(gradOutput, g.Batch, g.Landmarks, g.Channels, g.Bins, g.Bins),
            tensor(argmax).reshape(g.Batch, g.Landmarks, g.Channels, g.Bins, g.Bins), g, gradFeatures);
        return Values<float>(gradFeatures);
    }

    // TorchSharp's accessor throws on an empty tensor rather than returning no elements.
    private static T[] Values<T>(Tensor t)
        where T : unmanaged => t.numel() == 0 ? [] : t.data<T>().ToArray();

    private static Tensor Shaped(float[] values, params long[] shape) => tensor(values).reshape(shape);

    /// <summary>(x, y) pairs in pixels of the ImageWidth x ImageHeight image, normalized as pooling takes them.</summary>
    private static float[] Normalized(float[] pixels) => pixels.Select((v, i) => i % 2 == 0 ? v / ImageWidth : v / ImageHeight).ToArray();
}

/// <summary>The ILGPU kernels on ILGPU's CPU accelerator: the very C# that becomes PTX on a GPU.</summary>
public class IlgpuCpuAcceleratorTests : KernelConformanceTests
{
    private protected override ILandmarkPoolingKernel Pooling =>
        GpuKernels.TryGetLandmarkPooling(KernelBackend.Ilgpu, CPU, out var kernel, out string reason) ? kernel : throw new InvalidOperationException(reason);

    private protected override IWeightedAttributeLossKernel Loss =>
        GpuKernels.TryGetWeightedAttributeLoss(KernelBackend.Ilgpu, CPU, out var kernel, out string reason) ? kernel : throw new InvalidOperationException(reason);
}

/// <summary>The CUDA C kernels of native/, compiled for the host by clang and run one thread index at a time.</summary>
public class NativeKernelHostTests : KernelConformanceTests
{
    private protected override ILandmarkPoolingKernel Pooling => NativeHostKernels.Require();

    private protected override IWeightedAttributeLossKernel Loss => NativeHostKernels.Require();
}
