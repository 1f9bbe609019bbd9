using FashionNet.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Tests.Kernels;

/// <summary>
/// Weighted attribute loss: the reference against the closed form, then every kernel backend against the reference
/// (values within 1e-5 relative, gradients), finite differences, extreme logits, masks, edge cases and validation.
/// </summary>
public class WeightedAttributeLossTests
{
    private static WeightedAttributeLossOptions Options(KernelBackend backend, LossReduction reduction = LossReduction.None) =>
        new() { Backend = backend, Reduction = reduction };

    /// <summary>The loss of one entry in float64 straight from the definition (fine for moderate logits).</summary>
    private static double ClosedForm(double x, double y, double positiveWeight, double negativeWeight)
    {
        var sigmoid = 1 / (1 + Math.Exp(-x));
        return -(positiveWeight * y * Math.Log(sigmoid) + negativeWeight * (1 - y) * Math.Log(1 - sigmoid));
    }

    [Theory]
    [MemberData(nameof(KernelBackends.WithReference), MemberType = typeof(KernelBackends))]
    public void PerEntryLossIsTheWeightedCrossEntropy(KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new[,] { { -2f, 0f, 0.5f }, { 3f, -0.25f, 1f } });
        var targets = tensor(new[,] { { 1f, 0f, 1f }, { 0f, 1f, 0f } });
        var (positive, negative) = (tensor(new[] { 2f, 0.5f, 1f }), tensor(new[] { 0.75f, 3f, 1f }));

        var loss = KernelFunctional.WeightedAttributeLoss(logits, targets, null, positive, negative, Options(backend));

        var (x, y) = (TensorAssert.Values(logits), TensorAssert.Values(targets));
        var (wp, wn) = (TensorAssert.Values(positive), TensorAssert.Values(negative));
        var expected = Enumerable.Range(0, 6).Select(i => ClosedForm(x[i], y[i], wp[i % 3], wn[i % 3])).ToArray();
        TensorAssert.Close(tensor(expected).view(2, 3), loss, relative: 1e-6, absolute: 0);
    }

    [Theory]
    [MemberData(nameof(KernelBackends.WithReference), MemberType = typeof(KernelBackends))]
    public void ExtremeLogitsStayFiniteAndExact(KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        // Right side, wrong side and far wrong side of each label; 1e4 overflows exp() in any naive form.
        var logits = tensor(new[] { 1e4f, -1e4f, -1e4f, 1e4f, 40f, -40f }).view(1, 6).requires_grad_(true);
        var targets = tensor(new[] { 1f, 0f, 1f, 0f, 1f, 0f }).view(1, 6);
        var (positive, negative) = (full(6, 2f), full(6, 3f));

        var loss = KernelFunctional.WeightedAttributeLoss(logits, targets, null, positive, negative, Options(backend));
        loss.sum().backward();

        // softplus(-x) ~ exp(-x) for the right side: exp(-40) = 4.25e-18 must not round to 0.
        var expectedLoss = tensor(new[] { 0.0, 0.0, 2e4, 3e4, 2 * Math.Exp(-40), 3 * Math.Exp(-40) }).view(1, 6);
        TensorAssert.Close(expectedLoss, loss, relative: 1e-5, absolute: 0);
        // d/dx = w_neg (1 - y) sigmoid(x) - w_pos y (1 - sigmoid(x)).
        var expectedGradient = tensor(new[] { 0.0, 0.0, -2, 3, -2 * Math.Exp(-40), 3 * Math.Exp(-40) }).view(1, 6);
        TensorAssert.Close(expectedGradient, logits.grad!, relative: 1e-5, absolute: 0);
    }

    public static TheoryData<KernelBackend, LossReduction, bool> KernelsReductionsAndMasks()
    {
        var data = new TheoryData<KernelBackend, LossReduction, bool>();
        foreach (var backend in KernelBackends.Kernels)
        {
            foreach (var reduction in Enum.GetValues<LossReduction>())
            {
                data.Add(backend, reduction, false);
                data.Add(backend, reduction, true);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(KernelsReductionsAndMasks))]
    public void KernelMatchesTheReferenceInValueAndGradient(KernelBackend backend, LossReduction reduction, bool masked)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(21);
        var (logits, targets, mask, positive, negative) = RandomProblem(generator, masked);
        var gradOutput = reduction == LossReduction.None ? randn([5, 7], generator: generator) : tensor(1.5f);

        var (expected, expectedGradient) = LossAndGradient(logits, targets, mask, positive, negative, Options(KernelBackend.Reference, reduction), gradOutput);
        var (actual, actualGradient) = LossAndGradient(logits, targets, mask, positive, negative, Options(backend, reduction), gradOutput);

        TensorAssert.Close(expected, actual, relative: 1e-5, absolute: 1e-7);
        TensorAssert.Close(expectedGradient, actualGradient, relative: 1e-5, absolute: 1e-7);
    }

    [Theory]
    [MemberData(nameof(KernelBackends.OnCpuTensors), MemberType = typeof(KernelBackends))]
    public void LargeBatchesSplitAcrossThreadsMatchTheReference(KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(43);
        // 111 x 313 entries: two threads' ranges, split in the middle of a row, each row ending in a partial vector.
        var logits = randn([111, 313], generator: generator) * 4;
        var targets = (rand([111, 313], generator: generator) > 0.9f).to(ScalarType.Float32);
        var mask = (rand([111, 313], generator: generator) > 0.1f).to(ScalarType.Float32);
        var (positive, negative) = AttributeWeights.FromLabels(targets, mask).ToTensors();
        var gradOutput = randn([111, 313], generator: generator);

        var (expected, expectedGradient) = LossAndGradient(logits, targets, mask, positive, negative, Options(KernelBackend.Reference), gradOutput);
        var (actual, actualGradient) = LossAndGradient(logits, targets, mask, positive, negative, Options(backend), gradOutput);

        TensorAssert.Close(expected, actual, relative: 1e-5, absolute: 1e-7);
        TensorAssert.Close(expectedGradient, actualGradient, relative: 1e-5, absolute: 1e-7);
    }

    [Theory]
    [MemberData(nameof(KernelBackends.WithReference), MemberType = typeof(KernelBackends))]
    public void MaskedEntriesGetNoLossAndNoGradientAndTheMeanCountsOnlyLabelledOnes(KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(23);
        var (logits, targets, mask, positive, negative) = RandomProblem(generator, masked: true);

        var (perEntry, perEntryGradient) = LossAndGradient(logits, targets, mask, positive, negative, Options(backend), ones(5, 7));
        var (mean, _) = LossAndGradient(logits, targets, mask, positive, negative, Options(backend, LossReduction.Mean), tensor(1f));

        var unlabelled = mask == 0;
        Assert.True(unlabelled.any().ToBoolean());
        Assert.All(TensorAssert.Values(perEntry.masked_select(unlabelled)), value => Assert.Equal(0.0, value));
        Assert.All(TensorAssert.Values(perEntryGradient.masked_select(unlabelled)), value => Assert.Equal(0.0, value));
        var labelledCount = (mask != 0).sum().ToDouble();
        Assert.Equal(perEntry.sum().ToDouble() / labelledCount, mean.ToDouble(), 1e-5);
    }

    [Theory]
    [MemberData(nameof(KernelBackends.WithReference), MemberType = typeof(KernelBackends))]
    public void NothingLabelledOrAnEmptyBatchGivesAZeroMean(KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        var (positive, negative) = (ones(4), ones(4));
        var logits = randn(3, 4).requires_grad_(true);
        var allMasked = KernelFunctional.WeightedAttributeLoss(logits, ones(3, 4), zeros(3, 4), positive, negative, Options(backend, LossReduction.Mean));
        allMasked.backward();
        var empty = KernelFunctional.WeightedAttributeLoss(zeros(0, 4), zeros(0, 4), null, positive, negative, Options(backend, LossReduction.Mean));
        var emptyPerEntry = KernelFunctional.WeightedAttributeLoss(zeros(0, 4), zeros(0, 4), null, positive, negative, Options(backend));

        Assert.Equal(0.0, allMasked.ToDouble());
        Assert.All(TensorAssert.Values(logits.grad!), value => Assert.Equal(0.0, value));
        Assert.Equal(0.0, empty.ToDouble());
        Assert.Equal(new long[] { 0, 4 }, emptyPerEntry.shape);
    }

    [Theory]
    [MemberData(nameof(KernelBackends.OnCpuTensors), MemberType = typeof(KernelBackends))]
    public void NonContiguousAndNonFloatInputsGiveTheSameResult(KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        var (logits, targets, mask, positive, negative) = RandomProblem(new Generator(29), masked: true);
        var options = Options(backend, LossReduction.Sum);
        var expected = KernelFunctional.WeightedAttributeLoss(logits, targets, mask, positive, negative, options);

        var stridedLogits = logits.t().contiguous().t();
        var everyOtherWeight = stack([positive, negative], 1).flatten();
        Assert.False(stridedLogits.is_contiguous());
        var actual = KernelFunctional.WeightedAttributeLoss(stridedLogits, targets.to(ScalarType.Bool), mask.ne(0),
            everyOtherWeight[TensorIndex.Slice(0, null, 2)], everyOtherWeight[TensorIndex.Slice(1, null, 2)], options);

        TensorAssert.Identical(expected, actual);
    }

    [Fact]
    public void ReferenceGradientMatchesFiniteDifferencesInFloat64()
    {
        using var scope = NewDisposeScope();
        var (logits, targets, mask, positive, negative) = RandomProblem(new Generator(31), masked: true);
        var reference = Options(KernelBackend.Reference);
        Tensor PerEntry(Tensor x) => KernelFunctional.WeightedAttributeLoss(x, targets, mask, positive, negative, reference);

        var (numeric, analytic) = ElementwiseDerivatives(logits.to(ScalarType.Float64), 1e-6, PerEntry);

        TensorAssert.Close(numeric, analytic, relative: 1e-6, absolute: 1e-8);
    }

    [Theory]
    [MemberData(nameof(KernelBackends.OnCpuTensors), MemberType = typeof(KernelBackends))]
    public void KernelGradientMatchesFiniteDifferencesInFloat32(KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        var (logits, targets, mask, positive, negative) = RandomProblem(new Generator(37), masked: true);
        var options = Options(backend);
        Tensor PerEntry(Tensor x) => KernelFunctional.WeightedAttributeLoss(x, targets, mask, positive, negative, options);

        // Step 1e-2 on logits of order 1 and weights of at most 3: truncation error ~ step^2 |f'''| / 6 < 2e-4 and
        // float32 rounding ~ 1e-7 |f| / step < 1e-4, so 1e-3 absolute holds with margin and still catches a wrong term.
        var (numeric, analytic) = ElementwiseDerivatives(logits, 1e-2, PerEntry);

        TensorAssert.Close(numeric, analytic, relative: 0, absolute: 1e-3);
    }

    [Fact]
    public void TheModuleKeepsItsWeightsAsBuffersThatFollowTo()
    {
        using var scope = NewDisposeScope();
        var (logits, targets, mask, positive, negative) = RandomProblem(new Generator(41), masked: true);
        using var loss = new WeightedAttributeLoss(positive, negative, new WeightedAttributeLossOptions { Reduction = LossReduction.Sum });

        var expected = KernelFunctional.WeightedAttributeLoss(logits, targets, mask, positive, negative, Options(KernelBackend.Reference, LossReduction.Sum));
        TensorAssert.Close(expected, loss.call(logits, targets, mask), relative: 1e-5, absolute: 0);
        Assert.Equal(["positive_weights", "negative_weights"], loss.named_buffers().Select(b => b.name));
        Assert.Contains("negative_weights", loss.state_dict().Keys);

        loss.to(ScalarType.Float64);
        Assert.Equal(ScalarType.Float64, loss.PositiveWeights.dtype);
        Assert.Equal(ScalarType.Float64, loss.NegativeWeights.dtype);
    }

    [Theory]
    [InlineData("logits not 2-D", "logits")]
    [InlineData("logits not floating point", "logits")]
    [InlineData("logits float64 on a kernel", "logits")]
    [InlineData("targets of another shape", "targets")]
    [InlineData("mask of another shape", "mask")]
    [InlineData("positive weights of another length", "positiveWeights")]
    [InlineData("negative weights not floating point", "negativeWeights")]
    [InlineData("reduction undefined", "options")]
    public void InvalidInputIsRejectedNamingTheArgument(string problem, string parameter)
    {
        using var scope = NewDisposeScope();
        var (logits, targets, positive, negative) = (zeros(2, 3), zeros(2, 3), ones(3), ones(3));
        Tensor? mask = null;
        var options = Options(KernelBackend.Cpu);
        switch (problem)
        {
            case "logits not 2-D": logits = zeros(6); break;
            case "logits not floating point": logits = zeros([2, 3], ScalarType.Int64); break;
            case "logits float64 on a kernel": logits = zeros([2, 3], ScalarType.Float64); break;
            case "targets of another shape": targets = zeros(3, 2); break;
            case "mask of another shape": mask = ones(2, 4); break;
            case "positive weights of another length": positive = ones(4); break;
            case "negative weights not floating point": negative = ones([3], ScalarType.Int32); break;
            case "reduction undefined": options = new WeightedAttributeLossOptions { Reduction = (LossReduction)7 }; break;
            default: throw new ArgumentOutOfRangeException(nameof(problem), problem, null);
        }

        var error = Assert.ThrowsAny<ArgumentException>(() => KernelFunctional.WeightedAttributeLoss(logits, targets, mask, positive, negative, options));
        Assert.Equal(parameter, error.ParamName);
    }

    /// <summary>5 x 7 problem: logits ~ N(0, 2), random 0/1 targets, about a third unlabelled, weights in [0.25, 3].</summary>
    private static (Tensor Logits, Tensor Targets, Tensor Mask, Tensor Positive, Tensor Negative) RandomProblem(Generator generator, bool masked)
    {
        var logits = randn([5, 7], generator: generator) * 2;
        var targets = (rand([5, 7], generator: generator) > 0.5f).to(ScalarType.Float32);
        var mask = masked ? (rand([5, 7], generator: generator) > 0.33f).to(ScalarType.Float32) : ones(5, 7);
        var positive = rand([7], generator: generator) * 2.75f + 0.25f;
        var negative = rand([7], generator: generator) * 2.75f + 0.25f;
        return (logits, targets, mask, positive, negative);
    }

    private static (Tensor Loss, Tensor Gradient) LossAndGradient(Tensor logits, Tensor targets, Tensor? mask, Tensor positive, Tensor negative,
        WeightedAttributeLossOptions options, Tensor gradOutput)
    {
        var leaf = logits.detach().requires_grad_(true);
        var loss = KernelFunctional.WeightedAttributeLoss(leaf, targets, mask, positive, negative, options);
        loss.backward([gradOutput]);
        return (loss.detach(), leaf.grad!);
    }

    /// <summary>
    /// The per-entry loss depends on its own logit only, so one central difference of the whole [N, A] loss gives
    /// every derivative at once; compared with autograd's gradient of the summed per-entry loss.
    /// </summary>
    private static (Tensor Numeric, Tensor Analytic) ElementwiseDerivatives(Tensor logits, double step, Func<Tensor, Tensor> perEntryLoss)
    {
        var leaf = logits.detach().requires_grad_(true);
        perEntryLoss(leaf).sum().backward();
        using var noGrad = no_grad();
        var numeric = (perEntryLoss(logits + step) - perEntryLoss(logits - step)) / (2 * step);
        return (numeric, leaf.grad!);
    }
}
