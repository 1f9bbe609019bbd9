using FashionNet.Evaluation;

namespace FashionNet.Tests.Evaluation;

public class CategoryAccuracyTests
{
    [Fact]
    public void HandComputedTopKWithTiesRankedByCategoryIndex()
    {
        var accumulator = new CategoryAccuracyAccumulator(categoryCount: 4, ks: [1, 2]);

        // Label 2 ranks second.
        accumulator.Add([0.1f, 0.9f, 0.5f, 0.3f], [2]);
        // Label 1 ties with category 0, which ranks first by index: rank 1, not 0. Label 3 ranks first.
        accumulator.Add([0.5f, 0.5f, 0.5f, 0.1f, 0.2f, 0.1f, 0.0f, 0.3f], [1, 3]);

        var result = accumulator.Result();
        Assert.Equal(3, result.SampleCount);
        Assert.Equal([new(1, 1 / 3.0), new(2, 1.0)], result.TopK.ToArray());
    }

    [Fact]
    public void DefaultCutOffsAreThreeAndFive()
    {
        var accumulator = new CategoryAccuracyAccumulator(6);
        accumulator.Add([6f, 5f, 4f, 3f, 2f, 1f], [3]);

        Assert.Equal([new(3, 0.0), new(5, 1.0)], accumulator.Result().TopK.ToArray());
    }

    [Fact]
    public void RejectsBadInput()
    {
        var accumulator = new CategoryAccuracyAccumulator(3);

        Assert.Throws<ArgumentOutOfRangeException>(() => accumulator.Add([1f, 2f, 3f], [3]));
        Assert.Throws<ArgumentException>(() => accumulator.Add([1f, 2f], [0]));
        Assert.Throws<ArgumentException>(() => accumulator.Add([1f, float.NaN, 3f], [0]));
        Assert.Throws<InvalidOperationException>(() => accumulator.Result());
        Assert.Throws<ArgumentOutOfRangeException>(() => new CategoryAccuracyAccumulator(3, [0]));
    }
}
