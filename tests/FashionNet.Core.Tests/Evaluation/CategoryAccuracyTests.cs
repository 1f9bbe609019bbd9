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
    public void PerCategoryRowsComeFromTheTop1ConfusionCountsWithTiesToTheLowerIndex()
    {
        var accumulator = new CategoryAccuracyAccumulator(categoryCount: 4, ks: [1], categoryNames: ["Blouse", "Jeans", "Dress", "Coat"]);

        accumulator.Add(
        [
            0.9f, 0.1f, 0.0f, 0.0f, // Blouse, right.
            0.2f, 0.5f, 0.5f, 0.0f, // Blouse as Jeans: Jeans and Dress tie, the lower index wins.
            0.1f, 0.0f, 0.2f, 0.6f, // Blouse as Coat.
            0.4f, 0.4f, 0.1f, 0.0f, // Blouse, right: it ties with Jeans and has the lower index.
            0.3f, 0.3f, 0.3f, 0.3f, // Jeans as Blouse: all tie.
            0.6f, 0.1f, 0.2f, 0.0f, // Jeans as Blouse.
            0.5f, 0.9f, 0.0f, 0.0f, // Jeans, right.
            0.0f, 0.0f, 1.0f, 0.0f, // Dress, right.
        ], [0, 0, 0, 0, 1, 1, 1, 2]);

        var result = accumulator.Result();
        // Blouse's mistakes tie (Jeans once, Coat once): the lower index is named. Coat has no image, so no row.
        Assert.Equal(
        [
            new CategoryTop1(0, "Blouse", 4, 0.5, new CategoryConfusion(1, "Jeans", 1, 0.25)),
            new CategoryTop1(1, "Jeans", 3, 1 / 3.0, new CategoryConfusion(0, "Blouse", 2, 2 / 3.0)),
            new CategoryTop1(2, "Dress", 1, 1.0, null),
        ], result.PerCategory.ToArray());
        Assert.Equal([new(1, 4 / 8.0)], result.TopK.ToArray());
    }

    [Fact]
    public void CategoriesWithoutANameHaveANullName()
    {
        var named = new CategoryAccuracyAccumulator(3, ks: [1], categoryNames: ["Blouse"]);
        var unnamed = new CategoryAccuracyAccumulator(3, ks: [1]);
        foreach (var accumulator in new[] { named, unnamed }) accumulator.Add([0f, 0f, 1f, 1f, 0f, 0f], [2, 2]);

        Assert.Equal([new CategoryTop1(2, null, 2, 0.5, new CategoryConfusion(0, "Blouse", 1, 0.5))], named.Result().PerCategory.ToArray());
        Assert.Equal([new CategoryTop1(2, null, 2, 0.5, new CategoryConfusion(0, null, 1, 0.5))], unnamed.Result().PerCategory.ToArray());
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
