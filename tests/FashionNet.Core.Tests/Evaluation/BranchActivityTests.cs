using FashionNet.Evaluation;
using static TorchSharp.torch;

namespace FashionNet.Tests.Evaluation;

public sealed class BranchActivityTests
{
    [Fact]
    public void Activity_counts_units_above_zero_per_image_and_units_never_above_zero()
    {
        using var scope = NewDisposeScope();
        // 3 images, 4 units: unit 0 fires on every image, unit 1 on one, unit 2 never (0 and negative), unit 3 on two.
        var features = tensor(new float[]
        {
            1f, 0f, 0f, 2f,
            3f, 0f, -1f, 0f,
            1e-6f, 5f, 0f, 1f,
        }, [3, 4]);

        var activity = FeatureActivity.Of(features);

        Assert.Equal(new FeatureActivity(4, (2 + 1 + 3) / 3.0, 1), activity);
    }

    [Fact]
    public void Activity_of_no_image_or_a_flat_tensor_is_refused_with_its_shape()
    {
        using var scope = NewDisposeScope();
        Assert.Contains("[0, 4]", Assert.Throws<ArgumentException>(() => FeatureActivity.Of(zeros(0, 4))).Message);
        Assert.Contains("[4]", Assert.Throws<ArgumentException>(() => FeatureActivity.Of(zeros(4))).Message);
    }
}
