using FashionNet.Data;
using FashionNet.Data.Annotations;
using FashionNet.Data.Imaging;
using FashionNet.Data.Loading;
using FashionNet.Kernels;
using FashionNet.Model;
using FashionNet.Model.Losses;
using FashionNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Tests.Training;

/// <summary>
/// The objective against its pieces computed directly: weighting by name, terms switched off by weight or by missing
/// labels (per batch and per sample), validation of weights, and the landmark targets built from the files' visibility codes.
/// </summary>
public class FashionNetCriterionTests
{
    private const int Batch = 4, Attributes = 3, Categories = 5, Dimension = 6, Items = 3;

    private static readonly Dictionary<string, double> AllWeights = new()
    {
        [LossTermNames.Landmarks] = 20, [LossTermNames.Visibility] = 2, [LossTermNames.Category] = 0.5, [LossTermNames.Attributes] = 3, [LossTermNames.Triplet] = 1.5,
        [LossTermNames.GlobalTriplet] = 0.7, [LossTermNames.Items] = 0.25,
    };

    private static FashionNetCriterion Criterion() =>
        FashionNetCriterion.Standard(0.2, AttributeWeights.FromLabels(tensor(new float[] { 1, 0, 1, 0, 0, 1 }, [2, Attributes]), ones(2, Attributes)));

    /// <summary>Random outputs that require gradients, so the test can see which ones a term reaches.</summary>
    private static FashionNetOutput Output(Generator generator)
    {
        Tensor Leaf(params long[] shape) => randn(shape, generator: generator).requires_grad_(true);
        return new FashionNetOutput(nn.functional.normalize(Leaf(Batch, Dimension), p: 2, dim: 1), Leaf(Batch, Dimension), Leaf(Batch, 2),
            Leaf(Batch, 8, 2).sigmoid(), Leaf(Batch, 8), Leaf(Batch, Categories), Leaf(Batch, Attributes), Leaf(Batch, Items).tanh());
    }

    /// <summary>
    /// Four samples of two items; samples 0 and 2 have landmarks (sample 2's all occluded), 1 and 3 none; categories
    /// for samples 0..2; attributes for sample 3 only. <paramref name="items"/> replaces the item indices (-1: none).
    /// </summary>
    private static FashionBatch LabelledBatch(long[]? items = null)
    {
        items ??= [0, 0, 1, 1];
        Landmark At(float x, float y, LandmarkVisibility code) => new(x, y, code);
        var upper = LandmarkSet.FromFileOrder(ClothesType.Upper,
        [
            At(10, 20, LandmarkVisibility.Visible), At(30, 20, LandmarkVisibility.Occluded), At(5, 40, LandmarkVisibility.Visible),
            At(35, 40, LandmarkVisibility.Truncated), At(12, 60, LandmarkVisibility.Visible), At(28, 60, LandmarkVisibility.Visible),
        ]);
        var occluded = LandmarkSet.FromFileOrder(ClothesType.Lower, [.. Enumerable.Repeat(At(20, 30, LandmarkVisibility.Occluded), 4)]);
        var targets = LandmarkTargets.FromInputPixels([upper, null, occluded, null], 40, 80);
        return new FashionBatch(zeros(Batch, 3, 8, 8), targets, tensor(new long[] { 1, 4, 0, -1 }), tensor(new float[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1 }, [Batch, Attributes]),
            tensor(new float[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1 }, [Batch, Attributes]), tensor(items),
            new BatchLabelCounts(Landmarks: 2, Categories: 3, Attributes: 1, Items: items.Count(i => i >= 0)), [0, 1, 2, 3], new CropGeometry[Batch], new ImageSize[Batch], new ImageOrientation[Batch], []);
    }

    [Fact]
    public void LandmarkTargetsNormalizeByTheInputAndMapTheFileCodesToMasks()
    {
        using var scope = NewDisposeScope();
        using var batch = LabelledBatch();
        var targets = batch.Landmarks;

        // Upper-body slots in file order: collars 0, 1; sleeves 2, 3; hems 6, 7. Code 0 is visible; 1 and 2 are not.
        Assert.Equal(new[] { true, false, true, false, false, false, true, true }, targets.Visible[0].data<bool>().ToArray());
        Assert.Equal(new[] { true, true, true, true, false, false, true, true }, targets.Labelled[0].data<bool>().ToArray());
        Assert.Equal(new[] { 10f / 40, 20f / 80, 30f / 40, 20f / 80 }, targets.Positions[0].flatten()[..4].data<float>().ToArray());
        Assert.False(targets.Labelled[1].any().item<bool>());
        Assert.Equal(new[] { false, false, false, false, true, true, true, true }, targets.Labelled[2].data<bool>().ToArray());
        Assert.False(targets.Visible[2].any().item<bool>());
        Assert.Equal(2, targets.LabelledSamples);
    }

    [Fact]
    public void TheTotalIsTheWeightedSumOfTheTermsComputedByTheirPieces()
    {
        using var scope = NewDisposeScope();
        using var criterion = Criterion();
        using var batch = LabelledBatch();
        var output = Output(new Generator(1));

        var loss = criterion.Compute(output, batch, AllWeights);

        using var landmarkLoss = new LandmarkRegressionLoss();
        using var visibilityLoss = new VisibilityLoss();
        using var categoryLoss = new MaskedCrossEntropyLoss();
        using var miner = new BatchHardMiner();
        using var tripletLoss = new TripletMarginLoss(0.2);
        var weights = AttributeWeights.FromLabels(tensor(new float[] { 1, 0, 1, 0, 0, 1 }, [2, Attributes]), ones(2, Attributes)).ToTensors();
        var globalEmbedding = nn.functional.normalize(output.GlobalFeature, p: 2, dim: 1);
        var expected = new Dictionary<string, Tensor>
        {
            [LossTermNames.Landmarks] = landmarkLoss.call(output.Landmarks, batch.Landmarks.Positions, batch.Landmarks.Visible),
            // Every slot of an annotated sample counts; slots its clothes type lacks are targets of "not visible".
            [LossTermNames.Visibility] = visibilityLoss.call(output.VisibilityLogits, batch.Landmarks.Visible, tensor(new[] { true, false, true, false }).view(Batch, 1).expand(Batch, 8)),
            [LossTermNames.Category] = categoryLoss.call(output.CategoryLogits, batch.Categories),
            [LossTermNames.Attributes] = KernelFunctional.WeightedAttributeLoss(output.AttributeLogits, batch.Attributes, batch.AttributeMask, weights.Positive, weights.Negative),
            [LossTermNames.Triplet] = tripletLoss.call(output.Embedding, miner.call(output.Embedding, batch.ItemIndices)),
            [LossTermNames.GlobalTriplet] = tripletLoss.call(globalEmbedding, miner.call(globalEmbedding, batch.ItemIndices)),
            // Every sample has an item: plain cross-entropy of the similarities over the default temperature.
            [LossTermNames.Items] = nn.functional.cross_entropy(output.ItemSimilarities / 0.05, batch.ItemIndices),
        };

        Assert.Equal(expected.Keys.Order(), loss.Terms.Keys.Order());
        foreach (var (name, value) in expected) Assert.Equal(value.item<float>(), loss.Terms[name].item<float>(), 6);
        double total = expected.Sum(e => AllWeights[e.Key] * e.Value.item<float>());
        Assert.Equal(total, loss.Total.item<float>(), 4);
    }

    [Fact]
    public void ATermWithoutWeightOrWithoutLabelsInTheBatchIsNotComputed()
    {
        using var scope = NewDisposeScope();
        using var criterion = Criterion();
        using var batch = LabelledBatch();
        var output = Output(new Generator(2));

        var stage1 = criterion.Compute(output, batch, new Dictionary<string, double> { [LossTermNames.Landmarks] = 1, [LossTermNames.Category] = 0 });
        Assert.Equal([LossTermNames.Landmarks], stage1.Terms.Keys);
        stage1.Total.backward();
        Assert.Null(output.CategoryLogits.grad);
        Assert.Null(output.Embedding.grad);

        using var unlabelled = new FashionBatch(zeros(Batch, 3, 8, 8), LandmarkTargets.FromInputPixels([null, null, null, null], 8, 8), full(Batch, -1L),
            zeros(Batch, 0), zeros(Batch, 0), tensor(new long[] { 0, 0, 1, 1 }), new BatchLabelCounts(0, 0, 0, Items: 4), [0, 1, 2, 3], new CropGeometry[Batch],
            new ImageSize[Batch], new ImageOrientation[Batch], []);
        var photos = criterion.Compute(Output(new Generator(3)), unlabelled, AllWeights);
        Assert.Equal([LossTermNames.Triplet, LossTermNames.GlobalTriplet, LossTermNames.Items], photos.Terms.Keys);
    }

    [Fact]
    public void TheItemTermIsCrossEntropyOverTheTemperatureScaledSimilaritiesOfTheSamplesWithAnItem()
    {
        using var scope = NewDisposeScope();
        using var criterion = FashionNetCriterion.Standard(0.2, null, itemTemperature: 0.5);
        // Samples 1 and 3 have no item: the mean runs over samples 0 and 2 only.
        using var batch = LabelledBatch(items: [2, -1, 0, -1]);
        var similarities = tensor(new float[] { 0.9f, -0.2f, 0.1f, 0, 0, 0, 0.3f, 0.3f, -1, 0, 0, 0 }, [Batch, Items]);
        var output = Output(new Generator(9)) with { ItemSimilarities = similarities };

        var loss = criterion.Compute(output, batch, new Dictionary<string, double> { [LossTermNames.Items] = 1 });

        // Hand-computed: -log softmax(s / 0.5)[label] of sample 0 (label 2) and sample 2 (label 0), averaged.
        double Nll(double[] s, int label) => -(s[label] / 0.5 - Math.Log(s.Sum(v => Math.Exp(v / 0.5))));
        double expected = (Nll([0.9, -0.2, 0.1], 2) + Nll([0.3, 0.3, -1], 0)) / 2;
        Assert.Equal(expected, loss.Terms[LossTermNames.Items].item<float>(), 5);
    }

    [Fact]
    public void TheItemTermNeedsAModelWithAnItemHeadAndAPositiveTemperature()
    {
        using var scope = NewDisposeScope();
        using var criterion = Criterion();
        using var batch = LabelledBatch();
        var withoutHead = Output(new Generator(10)) with { ItemSimilarities = zeros(Batch, 0) };
        var error = Assert.Throws<ArgumentException>(() => criterion.Compute(withoutHead, batch, new Dictionary<string, double> { [LossTermNames.Items] = 1 }));
        Assert.Contains("item head", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => FashionNetCriterion.Standard(0.2, null, itemTemperature: 0));
    }

    [Fact]
    public void TheGlobalTripletTermTrainsTheGlobalFeatureAndNotTheFusedEmbedding()
    {
        using var scope = NewDisposeScope();
        using var criterion = Criterion();
        using var batch = LabelledBatch();
        var fused = randn([Batch, Dimension], generator: new Generator(8)).requires_grad_(true);
        var output = Output(new Generator(7)) with { Embedding = nn.functional.normalize(fused, p: 2, dim: 1) };

        var loss = criterion.Compute(output, batch, new Dictionary<string, double> { [LossTermNames.GlobalTriplet] = 1 });
        loss.Total.backward();

        Assert.Equal([LossTermNames.GlobalTriplet], loss.Terms.Keys);
        Assert.True(loss.Total.item<float>() > 0, "the random global features should violate the margin for some anchor");
        Assert.True(output.GlobalFeature.grad is { } grad && grad.abs().sum().item<float>() > 0, "no gradient reached the global feature");
        Assert.Null(fused.grad);
    }

    [Fact]
    public void SamplesWithoutLandmarksGetNoLandmarkGradientWhileTheOthersDo()
    {
        using var scope = NewDisposeScope();
        using var criterion = Criterion();
        using var batch = LabelledBatch();
        var output = Output(new Generator(4));

        var loss = criterion.Compute(output, batch, new Dictionary<string, double> { [LossTermNames.Landmarks] = 1, [LossTermNames.Visibility] = 1 });
        var gradients = torch.autograd.grad([loss.Total], [output.Landmarks, output.VisibilityLogits]);
        Tensor landmarkGrad = gradients[0], visibilityGrad = gradients[1];

        float[] perSampleLandmarks = landmarkGrad.abs().sum([1, 2]).data<float>().ToArray();
        float[] perSampleVisibility = visibilityGrad.abs().sum(1).data<float>().ToArray();
        Assert.True(perSampleLandmarks[0] > 0);
        Assert.Equal([0f, 0f, 0f], new[] { perSampleLandmarks[1], perSampleLandmarks[2], perSampleLandmarks[3] }); // 2: labelled but nothing visible
        Assert.True(perSampleVisibility[0] > 0 && perSampleVisibility[2] > 0);
        Assert.Equal([0f, 0f], new[] { perSampleVisibility[1], perSampleVisibility[3] });
        // Sample 2 is a lower-body garment: its collar slot is not in its annotation, yet it is trained towards "not
        // visible" (a positive logit gradient), so the gate learns to leave collars of trousers out of pooling.
        Assert.True(visibilityGrad[2, (int)LandmarkSlot.LeftCollar].item<float>() > 0);
    }

    [Theory]
    [InlineData("landmark", 1, "unknown loss term 'landmark'")]
    [InlineData("triplet", -1, "'triplet' must be finite and not negative")]
    [InlineData("category", double.NaN, "'category' must be finite and not negative")]
    public void InvalidWeightsAreRejectedNamingTheTerm(string name, double weight, string message)
    {
        using var scope = NewDisposeScope();
        using var criterion = Criterion();
        using var batch = LabelledBatch();
        var error = Assert.Throws<ArgumentException>(() => criterion.Compute(Output(new Generator(5)), batch, new Dictionary<string, double> { [name] = weight }));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void AttributeLabelsThatDoNotMatchTheModelAreAnErrorNotASilentSkip()
    {
        using var scope = NewDisposeScope();
        using var criterion = Criterion();
        using var batch = LabelledBatch();
        var output = Output(new Generator(6));
        var wider = output with { AttributeLogits = randn(Batch, Attributes + 1) };
        var error = Assert.Throws<ArgumentException>(() => criterion.Compute(wider, batch, AllWeights));
        Assert.Contains("attribute", error.Message);
    }

    [Fact]
    public void TermNamesMustBeDistinct()
    {
        var error = Assert.Throws<ArgumentException>(() => new FashionNetCriterion([new CategoryTerm(), new CategoryTerm()]));
        Assert.Contains("'category'", error.Message);
    }
}
