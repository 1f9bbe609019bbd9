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
    public void Activity_counted_batch_by_batch_equals_the_activity_of_all_images_at_once()
    {
        using var scope = NewDisposeScope();
        // Units firing on every third image, one that fires on the first image only (its flag must carry across batches)
        // and one that never fires.
        var everyThird = arange(40, ScalarType.Float32).view(10, 4).remainder(3) - 1;
        var firstImageOnly = cat([ones(1, 1), full(9, 1, -1f)], 0);
        var features = cat([everyThird, firstImageOnly, full(10, 1, -1f)], 1);
        var counter = new FeatureActivityCounter();
        counter.Add(features[..3]);
        counter.Add(features[3..4]);
        counter.Add(features[4..]);

        var all = FeatureActivity.Of(features);
        Assert.Equal(all, counter.Result());
        Assert.Equal(1, all.NeverActive);
    }

    [Fact]
    public void A_batch_with_other_units_than_the_earlier_ones_is_refused_with_its_shape()
    {
        using var scope = NewDisposeScope();
        var counter = new FeatureActivityCounter();
        counter.Add(ones(2, 4));
        Assert.Contains("[2, 5]", Assert.Throws<ArgumentException>(() => counter.Add(ones(2, 5))).Message);
        Assert.Null(new FeatureActivityCounter().Result());
    }

    [Fact]
    public void Activity_of_no_image_or_a_flat_tensor_is_refused_with_its_shape()
    {
        using var scope = NewDisposeScope();
        Assert.Contains("[0, 4]", Assert.Throws<ArgumentException>(() => FeatureActivity.Of(zeros(0, 4))).Message);
        Assert.Contains("[4]", Assert.Throws<ArgumentException>(() => FeatureActivity.Of(zeros(4))).Message);
    }
}
