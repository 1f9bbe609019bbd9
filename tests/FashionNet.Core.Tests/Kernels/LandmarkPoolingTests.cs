using FashionNet.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Tests.Kernels;

/// <summary>
/// Landmark pooling: the reference against hand-computed cases, then every kernel backend against the reference
/// (forward bit-exact, gradients), finite differences, edge cases and validation.
/// </summary>
public class LandmarkPoolingTests
{
    // A 4 x 4 map whose cell (h, w) holds h * 4 + w + 1, seen by a 40 x 40 image: one cell per 10 pixels. The cases
    // below give landmarks in those pixels for readability; Landmarks() normalizes them, as pooling takes them.
    private const float ImageSide = 40f;

    private static Tensor CountingMap() => arange(1, 17, dtype: ScalarType.Float32).view(1, 1, 4, 4);

    private static LandmarkPoolingOptions Options(KernelBackend backend, int windowSize = 3, int bins = 1) => new()
    {
        WindowSize = windowSize, Bins = bins, Backend = backend,
    };

    private static Tensor Landmarks(params (float X, float Y)[] points) =>
        tensor(points.SelectMany(p => new[] { p.X / ImageSide, p.Y / ImageSide }).ToArray()).view(1, points.Length, 2);

    private static Tensor Visible(params bool[] visible) => tensor(visible).view(1, visible.Length);

    [Theory]
    [MemberData(nameof(KernelBackends.WithReference), MemberType = typeof(KernelBackends))]
    public void WindowsAreCentredOnTheLandmarkCellAndClippedToTheMap(KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        var landmarks = Landmarks(
            (15f, 15f),    // cell (1, 1): the whole 3 x 3 block up to (2, 2)
            (39.9f, 0f),   // cell (3, 0): clipped to rows 0..1, columns 2..3
            (40f, 15f),    // exactly on the right border: cell (4, 1), only column 3 left
            (-5f, 15f),    // just beyond the left border: cell (-1, 1), only column 0 left
            (-25f, 15f),   // far beyond: cell (-3, 1), nothing left
            (15f, 15f));   // invisible
        var pooled = KernelFunctional.LandmarkPool(CountingMap(), landmarks, Visible(true, true, true, true, true, false), Options(backend));

        Assert.Equal(new long[] { 1, 6, 1, 1, 1 }, pooled.shape);
        Assert.Equal(new[] { 11.0, 8, 12, 9, 0, 0 }, TensorAssert.Values(pooled));
    }

    [Theory]
    [MemberData(nameof(KernelBackends.WithReference), MemberType = typeof(KernelBackends))]
    public void BinsFollowTheRoIPoolFloorCeilRuleOnTheUnclippedWindow(KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        var landmarks = Landmarks((15f, 15f), (39.9f, 0f));
        var pooled = KernelFunctional.LandmarkPool(CountingMap(), landmarks, Visible(true, true), Options(backend, bins: 2));

        // K = 3, P = 2: bins cover window rows/columns [0, 2) and [1, 3), overlapping in the middle line.
        Assert.Equal(new[] { 6.0, 7, 10, 11, 4, 4, 8, 8 }, TensorAssert.Values(pooled));
    }

    [Theory]
    [MemberData(nameof(KernelBackends.WithReference), MemberType = typeof(KernelBackends))]
    public void BinsOutsideTheMapOutputZero(KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        var pooled = KernelFunctional.LandmarkPool(CountingMap(), Landmarks((5f, 5f)), Visible(true), Options(backend, bins: 3));

        // Cell (0, 0) with K = P = 3: one bin per cell; the top row and left column of the window are off the map.
        Assert.Equal(new[] { 0.0, 0, 0, 0, 1, 2, 0, 5, 6 }, TensorAssert.Values(pooled));
    }

    [Theory]
    [MemberData(nameof(KernelBackends.WithReference), MemberType = typeof(KernelBackends))]
    public void AWindowLargerThanTheMapPoolsTheWholeMap(KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        var pooled = KernelFunctional.LandmarkPool(CountingMap(), Landmarks((5f, 35f), (25f, 5f)), Visible(true, true), Options(backend, windowSize: 9));

        Assert.Equal(new[] { 16.0, 16 }, TensorAssert.Values(pooled));
    }

    [Theory]
    [MemberData(nameof(KernelBackends.WithReference), MemberType = typeof(KernelBackends))]
    public void TiesRouteTheGradientToTheFirstMaximumInRowMajorOrder(KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        var features = ones(1, 1, 4, 4, requires_grad: true);
        var pooled = KernelFunctional.LandmarkPool(features, Landmarks((15f, 15f), (39.9f, 0f)), Visible(true, true), Options(backend));
        pooled.backward([tensor(new[] { 1f, 10f }).view(1, 2, 1, 1, 1)]);

        var expected = zeros(4, 4);
        expected[0, 0] = 1f;  // first cell of the full window around (1, 1)
        expected[0, 2] = 10f; // first cell of the clipped window around (3, 0)
        TensorAssert.Identical(expected.view(1, 1, 4, 4), features.grad!);
    }

    [Theory]
    [MemberData(nameof(KernelBackends.WithReference), MemberType = typeof(KernelBackends))]
    public void OverlappingWindowsAccumulateGradientAndInvisibleLandmarksGetNone(KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        var features = CountingMap().requires_grad_(true);
        var landmarks = Landmarks((15f, 15f), (19f, 12f), (25f, 25f), (15f, 15f));
        var pooled = KernelFunctional.LandmarkPool(features, landmarks, Visible(true, true, true, false), Options(backend));
        pooled.backward([tensor(new[] { 1f, 2f, 4f, 8f }).view(1, 4, 1, 1, 1)]);

        var expected = zeros(4, 4);
        expected[2, 2] = 3f; // both landmarks in cell (1, 1) peak at (2, 2)
        expected[3, 3] = 4f; // cell (2, 2) peaks at (3, 3)
        TensorAssert.Identical(expected.view(1, 1, 4, 4), features.grad!);
    }

    [Theory]
    [MemberData(nameof(KernelBackends.WithReference), MemberType = typeof(KernelBackends))]
    public void AllInvisibleGivesZerosAndNoGradient(KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        var features = randn(2, 3, 5, 5).requires_grad_(true);
        var pooled = KernelFunctional.LandmarkPool(features, full(2, 4, 2, 20f), zeros(2, 4), Options(backend, bins: 2));
        pooled.sum().backward();

        Assert.All(TensorAssert.Values(pooled), value => Assert.Equal(0.0, value));
        Assert.All(TensorAssert.Values(features.grad!), value => Assert.Equal(0.0, value));
    }

    [Theory]
    [MemberData(nameof(KernelBackends.WithReference), MemberType = typeof(KernelBackends))]
    public void AnEmptyBatchGivesAnEmptyOutputAndGradient(KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        var features = zeros(0, 3, 5, 5).requires_grad_(true);
        var pooled = KernelFunctional.LandmarkPool(features, zeros(0, 4, 2), zeros(0, 4), Options(backend, bins: 2));
        pooled.sum().backward();

        Assert.Equal(new long[] { 0, 4, 3, 2, 2 }, pooled.shape);
        Assert.Equal(new long[] { 0, 3, 5, 5 }, features.grad!.shape);
    }

    [Theory]
    [MemberData(nameof(KernelBackends.WithReference), MemberType = typeof(KernelBackends))]
    public void NoLandmarksGiveAnEmptyOutputAndAZeroGradient(KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        var features = randn(2, 3, 5, 5).requires_grad_(true);
        var pooled = KernelFunctional.LandmarkPool(features, zeros(2, 0, 2), zeros(2, 0), Options(backend));
        (pooled.sum() + features.sum() * 0).backward();

        Assert.Equal(new long[] { 2, 0, 3, 1, 1 }, pooled.shape);
        Assert.All(TensorAssert.Values(features.grad!), value => Assert.Equal(0.0, value));
    }

    public static TheoryData<KernelBackend, int, int> KernelsWindowsAndBins()
    {
        var data = new TheoryData<KernelBackend, int, int>();
        foreach (var backend in KernelBackends.Kernels)
        {
            foreach (var (window, bins) in new[] { (1, 1), (3, 1), (3, 2), (5, 3), (3, 4), (9, 2) })
            {
                data.Add(backend, window, bins);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(KernelsWindowsAndBins))]
    public void KernelMatchesTheReferenceBitForBitAndInGradient(KernelBackend backend, int windowSize, int bins)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)(1000 + windowSize * 10 + bins));
        // 24 channels: enough feature planes for backward to split them across threads.
        var (features, landmarks, visibility, options) = RandomProblem(generator, windowSize, bins, channels: 24);
        var gradOutput = randn([3, 5, 24, bins, bins], generator: generator);

        var expectedFeatures = features.detach().requires_grad_(true);
        var expected = KernelFunctional.LandmarkPool(expectedFeatures, landmarks, visibility, options(KernelBackend.Reference));
        expected.backward([gradOutput]);

        var actualFeatures = features.detach().requires_grad_(true);
        var actual = KernelFunctional.LandmarkPool(actualFeatures, landmarks, visibility, options(backend));
        actual.backward([gradOutput]);

        TensorAssert.Identical(expected, actual);
        // Where windows overlap, gradients are sums whose order may differ between implementations.
        TensorAssert.Close(expectedFeatures.grad!, actualFeatures.grad!, relative: 1e-6, absolute: 1e-6);
    }

    [Theory]
    [MemberData(nameof(KernelBackends.OnCpuTensors), MemberType = typeof(KernelBackends))]
    public void LandmarksWithinAnUlpOfCellBoundariesPoolTheSameCellsAsTheReference(KernelBackend backend)
    {
        // 7 cells: boundaries at k / 7, none exactly representable, where float32 arithmetic (x * 7 rounded to float)
        // and the exact float64 rule disagree for neighbouring coordinates.
        using var scope = NewDisposeScope();
        var coordinates = new List<float>();
        for (int k = 1; k < 7; k++)
        {
            float boundary = k / 7f;
            coordinates.AddRange([MathF.BitDecrement(MathF.BitDecrement(boundary)), MathF.BitDecrement(boundary), boundary,
                MathF.BitIncrement(boundary), MathF.BitIncrement(MathF.BitIncrement(boundary))]);
        }
        int count = coordinates.Count;
        var landmarks = tensor(coordinates.SelectMany(c => new[] { c, 1f - c }).ToArray(), [1, count, 2]);
        var visibility = ones(1, count);
        // Distinct values per column and row, so pooling a neighbouring cell changes the output.
        var features = arange(7 * 7, dtype: ScalarType.Float32).view(1, 1, 7, 7);
        LandmarkPoolingOptions Options(KernelBackend kernel) => new() { WindowSize = 1, Bins = 1, Backend = kernel };

        var expected = KernelFunctional.LandmarkPool(features, landmarks, visibility, Options(KernelBackend.Reference));
        var actual = KernelFunctional.LandmarkPool(features, landmarks, visibility, Options(backend));

        TensorAssert.Identical(expected, actual);
    }

    [Theory]
    [MemberData(nameof(KernelBackends.OnCpuTensors), MemberType = typeof(KernelBackends))]
    public void NonContiguousInputsGiveTheSameResultAsContiguousOnes(KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(7);
        var (features, landmarks, visibility, options) = RandomProblem(generator, windowSize: 3, bins: 2);
        var expected = KernelFunctional.LandmarkPool(features, landmarks, visibility, options(backend));

        // Same values through strided views: features stored as [N, H, W, C], landmarks as [N, 2, L], a bool mask.
        var stridedFeatures = features.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        var stridedLandmarks = landmarks.transpose(1, 2).contiguous().transpose(1, 2);
        Assert.False(stridedFeatures.is_contiguous());
        Assert.False(stridedLandmarks.is_contiguous());
        var actual = KernelFunctional.LandmarkPool(stridedFeatures, stridedLandmarks, visibility.ne(0), options(backend));

        TensorAssert.Identical(expected, actual);
    }

    [Fact]
    public void ReferenceGradientMatchesFiniteDifferencesInFloat64()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(11);
        var (features, landmarks, visibility, options) = RandomProblem(generator, windowSize: 3, bins: 2, batch: 1, channels: 2);
        features = features.to(ScalarType.Float64);
        var gradOutput = randn([1, 5, 2, 2, 2], ScalarType.Float64, generator: generator);
        var reference = options(KernelBackend.Reference);

        var analytic = GradientOf(features, f => (KernelFunctional.LandmarkPool(f, landmarks, visibility, reference) * gradOutput).sum());
        var numeric = FiniteDifferences(features, 1e-6, f => (KernelFunctional.LandmarkPool(f, landmarks, visibility, reference) * gradOutput).sum());

        TensorAssert.Close(numeric, analytic, relative: 1e-6, absolute: 1e-6);
    }

    [Theory]
    [MemberData(nameof(KernelBackends.OnCpuTensors), MemberType = typeof(KernelBackends))]
    public void KernelGradientMatchesFiniteDifferencesInFloat32(KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(13);
        var (_, landmarks, visibility, options) = RandomProblem(generator, windowSize: 3, bins: 2, batch: 1, channels: 2);
        // Distinct integer features and small integer output weights: a step of 0.25 moves no argmax, and every
        // value and sum involved is exact in float32, so the difference quotient is exact (max pooling is piecewise linear).
        var features = randperm(2 * 6 * 7, generator: generator).to(ScalarType.Float32).view(1, 2, 6, 7);
        var gradOutput = randint(1, 4, [1, 5, 2, 2, 2], generator: generator).to(ScalarType.Float32);
        var kernel = options(backend);

        var analytic = GradientOf(features, f => (KernelFunctional.LandmarkPool(f, landmarks, visibility, kernel) * gradOutput).sum());
        var numeric = FiniteDifferences(features, 0.25, f => (KernelFunctional.LandmarkPool(f, landmarks, visibility, kernel) * gradOutput).sum());

        TensorAssert.Identical(numeric, analytic);
    }

    [Fact]
    public void TheModuleIsTheFunctionalForm()
    {
        using var scope = NewDisposeScope();
        var (features, landmarks, visibility, options) = RandomProblem(new Generator(17), windowSize: 3, bins: 2);
        using var layer = new LandmarkPooling(options(KernelBackend.Auto));

        TensorAssert.Identical(KernelFunctional.LandmarkPool(features, landmarks, visibility, options(KernelBackend.Reference)),
            layer.call(features, landmarks, visibility));
    }

    [Theory]
    [InlineData("features not 4-D", "features")]
    [InlineData("features not floating point", "features")]
    [InlineData("features float64 on a kernel", "features")]
    [InlineData("landmarks without (x, y)", "landmarks")]
    [InlineData("landmarks of another batch size", "landmarks")]
    [InlineData("landmarks not finite", "landmarks")]
    [InlineData("visibility of another landmark count", "visibility")]
    [InlineData("window size even", "options")]
    [InlineData("window size zero", "options")]
    [InlineData("bins zero", "options")]
    public void InvalidInputIsRejectedNamingTheArgument(string problem, string parameter)
    {
        using var scope = NewDisposeScope();
        var (features, landmarks, visibility) = (zeros(2, 3, 4, 4), zeros(2, 5, 2), ones(2, 5));
        var options = Options(KernelBackend.Cpu);
        switch (problem)
        {
            case "features not 4-D": features = zeros(3, 4, 4); break;
            case "features not floating point": features = zeros([2, 3, 4, 4], ScalarType.Int32); break;
            case "features float64 on a kernel": features = zeros([2, 3, 4, 4], ScalarType.Float64); break;
            case "landmarks without (x, y)": landmarks = zeros(2, 5, 3); break;
            case "landmarks of another batch size": landmarks = zeros(1, 5, 2); break;
            case "landmarks not finite": landmarks[1, 2, 0] = float.PositiveInfinity; break;
            case "visibility of another landmark count": visibility = ones(2, 4); break;
            case "window size even": options = Options(KernelBackend.Cpu, windowSize: 4); break;
            case "window size zero": options = Options(KernelBackend.Cpu, windowSize: 0); break;
            case "bins zero": options = Options(KernelBackend.Cpu, bins: 0); break;
            default: throw new ArgumentOutOfRangeException(nameof(problem), problem, null);
        }

        var error = Assert.ThrowsAny<ArgumentException>(() => KernelFunctional.LandmarkPool(features, landmarks, visibility, options));
        Assert.Equal(parameter, error.ParamName);
    }

    [Fact]
    public void AnUnavailableBackendIsReportedWithItsReason()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<NotSupportedException>(() =>
            KernelFunctional.LandmarkPool(zeros(1, 1, 4, 4), Landmarks((5f, 5f)), Visible(true), Options(KernelBackend.NativeCuda)));
        Assert.Contains(nameof(KernelBackend.NativeCuda), error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// N x C x 6 x 7 features, 5 landmarks per sample spread over the image and beyond its borders (normalized
    /// coordinates -0.3 .. 1.3), roughly one in five invisible.
    /// </summary>
    private static (Tensor Features, Tensor Landmarks, Tensor Visibility, Func<KernelBackend, LandmarkPoolingOptions> Options) RandomProblem(
        Generator generator, int windowSize, int bins, int batch = 3, int channels = 4)
    {
        var features = randn([batch, channels, 6, 7], generator: generator);
        var landmarks = rand([batch, 5, 2], generator: generator) * 1.6f - 0.3f;
        var visibility = (rand([batch, 5], generator: generator) > 0.2f).to(ScalarType.Float32);
        return (features, landmarks, visibility, backend => new LandmarkPoolingOptions
        {
            WindowSize = windowSize, Bins = bins, Backend = backend,
        });
    }

    private static Tensor GradientOf(Tensor input, Func<Tensor, Tensor> scalarFunction)
    {
        var leaf = input.detach().requires_grad_(true);
        scalarFunction(leaf).backward();
        return leaf.grad!.detach().clone();
    }

    /// <summary>Central differences of a scalar function, one input element at a time.</summary>
    private static Tensor FiniteDifferences(Tensor input, double step, Func<Tensor, Tensor> scalarFunction)
    {
        using var noGrad = no_grad();
        var gradient = zeros_like(input);
        var flat = input.detach().clone();
        var flatView = flat.view(-1);
        var gradientView = gradient.view(-1);
        for (var i = 0L; i < flatView.shape[0]; i++)
        {
            var original = flatView[i].ToDouble();
            flatView[i] = original + step;
            var above = scalarFunction(flat).ToDouble();
            flatView[i] = original - step;
            var below = scalarFunction(flat).ToDouble();
            flatView[i] = original;
            gradientView[i] = (above - below) / (2 * step);
        }
        return gradient;
    }
}
