using FashionNet.Kernels;
using static TorchSharp.torch;

namespace FashionNet.Tests.Kernels;

public class AttributeWeightsTests
{
    [Fact]
    public void WeightsBalanceTheTotalWeightOfEachLabelClass()
    {
        var weights = AttributeWeights.FromLabelCounts([10, 50, 90], [90, 50, 10]);

        // w_pos = T / (2P), w_neg = T / (2Q): 100 / 20 = 5 and 100 / 180; balanced gives 1 and 1.
        Assert.Equal([5f, 1f, 100f / 180f], weights.Positive);
        Assert.Equal([100f / 180f, 1f, 5f], weights.Negative);
    }

    [Fact]
    public void AttributesWithoutPositivesOrNegativesGetNeutralWeights()
    {
        var weights = AttributeWeights.FromLabelCounts([0, 7, 0], [7, 0, 0]);

        Assert.Equal([1f, 1f, 1f], weights.Positive);
        Assert.Equal([1f, 1f, 1f], weights.Negative);
    }

    [Fact]
    public void LabelMatricesAreCountedOverLabelledEntriesOnly()
    {
        using var scope = NewDisposeScope();
        var targets = tensor(new[,] { { 1, 0 }, { 1, 1 }, { 0, 1 }, { 0, 0 } });
        var mask = tensor(new[,] { { true, true }, { true, false }, { true, true }, { false, true } });

        var weights = AttributeWeights.FromLabels(targets, mask);

        // Attribute 0: 2 positives, 1 negative (row 3 unlabelled); attribute 1: 1 positive, 2 negatives.
        Assert.Equal([3f / 4f, 3f / 2f], weights.Positive);
        Assert.Equal([3f / 2f, 3f / 4f], weights.Negative);
        var (positive, negative) = weights.ToTensors();
        Assert.Equal(new[] { 0.75f, 1.5f }, positive.data<float>().ToArray());
        Assert.Equal(new[] { 1.5f, 0.75f }, negative.data<float>().ToArray());
    }

    [Fact]
    public void InvalidCountsAreRejectedNamingTheArgument()
    {
        Assert.Equal("negativeCounts", Assert.Throws<ArgumentException>(() => AttributeWeights.FromLabelCounts([1, 2], [1])).ParamName);
        Assert.Equal("positiveCounts", Assert.Throws<ArgumentException>(() => AttributeWeights.FromLabelCounts([-1], [1])).ParamName);
    }
}
