using FashionNet.Evaluation;

namespace FashionNet.Tests.Evaluation;

public class AttributeRecallTests
{
    private static readonly int[] Types = [1, 1, 2, 3, 3, 5];

    [Fact]
    public void HandComputedRecallOverallAndPerType()
    {
        var accumulator = new AttributeRecallAccumulator(Types, ks: [1, 3]);

        // Image A: ranking 0, 2, 4, 3, 1, 5; positives 0 (texture), 4 (shape), 5 (style).
        accumulator.Add([0.9f, 0.1f, 0.8f, 0.2f, 0.7f, 0.0f], [true, false, false, false, true, true]);
        // Image B has no positive attribute: left out of the averages.
        // Image C: all scores equal, so the ranking is the index order; positives 1 (texture), 2 (fabric).
        accumulator.Add([0.3f, 0.2f, 0.1f, 0.0f, 0.4f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f],
            [false, false, false, false, false, false, false, true, true, false, false, false]);

        var result = accumulator.Result();

        Assert.Equal(3, result.ImageCount);
        Assert.Equal(2, result.ImagesWithPositives);
        Assert.Equal([new(1, (1 / 3.0 + 0) / 2), new(3, (2 / 3.0 + 1) / 2)], result.Recall.ToArray());
        Assert.Equal([1, 2, 3, 5], result.PerType.Select(t => t.AttributeType));
        Assert.Equal(["texture", "fabric", "shape", "style"], result.PerType.Select(t => t.Name));
        Assert.Equal([2, 1, 2, 1], result.PerType.Select(t => t.AttributeCount));
        Assert.Equal([2, 1, 1, 1], result.PerType.Select(t => t.ImagesWithPositives));
        Assert.Equal([new(1, 0.5), new(3, 1.0)], result.PerType[0].Recall.ToArray());
        Assert.Equal([new(1, 0.0), new(3, 1.0)], result.PerType[1].Recall.ToArray());
        Assert.Equal([new(1, 0.0), new(3, 1.0)], result.PerType[2].Recall.ToArray());
        Assert.Equal([new(1, 0.0), new(3, 0.0)], result.PerType[3].Recall.ToArray());
    }

    [Fact]
    public void TypeWithoutPositivesHasNoRecall()
    {
        var accumulator = new AttributeRecallAccumulator(Types, ks: [3]);
        accumulator.Add([1f, 0f, 0f, 0f, 0f, 0f], [true, false, false, false, false, false]);

        var fabric = accumulator.Result().PerType.Single(t => t.AttributeType == 2);

        Assert.Equal(0, fabric.ImagesWithPositives);
        Assert.Empty(fabric.Recall);
    }

    [Fact]
    public void RejectsBadInput()
    {
        var accumulator = new AttributeRecallAccumulator(Types);

        Assert.Throws<ArgumentException>(() => accumulator.Add(new float[5], new bool[5]));
        Assert.Throws<ArgumentException>(() => accumulator.Add(new float[6], new bool[12]));
        accumulator.Add(new float[6], new bool[6]);
        Assert.Throws<InvalidOperationException>(() => accumulator.Result());
    }
}
