using FashionNet.Kernels;
using FashionNet.Model;
using FashionNet.Model.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Tests.Model;

public class FashionNetLossTests
{
    private static FashionNetOutput Output(bool withItems) => new(
        Embedding: nn.functional.normalize(tensor(new[] { 1f, 0f, 0.9f, 0.1f, 0f, 1f, 0.2f, 0.8f }, [4L, 2]), dim: 1).requires_grad_(),
        GlobalFeature: zeros(4, 1),
        LocalFeature: zeros(4, 1),
        Landmarks: full(4, 2, 2, 0.5f).requires_grad_(),
        VisibilityLogits: tensor(new[] { 1f, -1f, 0f, 2f, 0.5f, 0.5f, -2f, 1f }, [4L, 2]).requires_grad_(),
        CategoryLogits: tensor(new[] { 1f, 0f, 0f, 1f, 2f, 0f, 0f, 0f }, [4L, 2]).requires_grad_(),
        AttributeLogits: tensor(new[] { 0.5f, -0.5f, 1f, 0f, -1f, 2f, 0f, 0f }, [4L, 2]).requires_grad_(),
        ItemLogits: withItems ? tensor(new[] { 2f, 0f, 1f, 1f, 0f, 3f, 0f, 0f }, [4L, 2]).requires_grad_() : null);

    private static WeightedAttributeLoss AttributeLoss() => new(tensor(new[] { 2f, 1f }), tensor(new[] { 1f, 0.5f }));

    [Fact]
    public void Total_is_the_weighted_sum_of_the_individual_terms()
    {
        using var scope = NewDisposeScope();
        var output = Output(withItems: true);
        var targets = new FashionNetTargets
        {
            Landmarks = tensor(new[] { 0.4f, 0.5f, 0.5f, 0.7f, 0f, 0f, 0f, 0f, 0.1f, 0.1f, 0.9f, 0.9f, 0.5f, 0.5f, 0.5f, 0.5f }, [4L, 2, 2]),
            LandmarkVisibility = tensor(new[] { 1f, 1f, 0f, 0f, 1f, 1f, 1f, 1f }, [4L, 2]),
            HasLandmarks = tensor(new[] { 1f, 1f, 1f, 0f }),
            Categories = tensor(new long[] { 0, 1, -1, 0 }),
            Attributes = tensor(new[] { 1f, 0f, 0f, 1f, 1f, 1f, 0f, 0f }, [4L, 2]),
            Items = tensor(new long[] { 0, 0, 1, 1 }),
        };
        using var loss = new FashionNetLoss(AttributeLoss(), FashionNetLossWeights.Stage1, tripletMargin: 1.5);
        var terms = loss.forward(output, targets);

        // Landmarks: visible and annotated are sample 0 (both) and sample 2 (both): squared errors 0.01, 0.04, 0.32, 0.32.
        Assert.Equal((0.01f + 0.04f + 0.32f + 0.32f) / 4, terms.Landmarks.item<float>(), 1e-5f);
        using var visibility = new VisibilityLoss();
        var annotated = tensor(new[] { 1f, 1f, 1f, 1f, 1f, 1f, 0f, 0f }, [4L, 2]);
        Assert.Equal(visibility.forward(output.VisibilityLogits, targets.LandmarkVisibility, annotated).item<float>(), terms.Visibility.item<float>());
        using var crossEntropy = new MaskedCrossEntropyLoss();
        Assert.Equal(crossEntropy.forward(output.CategoryLogits, targets.Categories).item<float>(), terms.Category.item<float>());
        Assert.Equal(crossEntropy.forward(output.ItemLogits!, targets.Items).item<float>(), terms.Item.item<float>());
        using var attributes = AttributeLoss();
        Assert.Equal(attributes.forward(output.AttributeLogits, targets.Attributes, null).item<float>(), terms.Attributes.item<float>());
        using var miner = new BatchHardMiner();
        using var triplet = new TripletMarginLoss(1.5);
        using var triplets = miner.forward(output.Embedding, targets.Items);
        Assert.Equal(triplet.forward(output.Embedding, triplets).item<float>(), terms.Triplet.item<float>());
        Assert.True(terms.Triplet.item<float>() > 0);

        float expected = 5 * terms.Landmarks.item<float>() + 5 * terms.Visibility.item<float>() + terms.Category.item<float>()
            + terms.Attributes.item<float>() + terms.Triplet.item<float>() + terms.Item.item<float>();
        Assert.Equal(expected, terms.Total.item<float>(), 1e-5f);

        loss.Weights = FashionNetLossWeights.Stage2;
        float equal = terms.Landmarks.item<float>() + terms.Visibility.item<float>() + terms.Category.item<float>()
            + terms.Attributes.item<float>() + terms.Triplet.item<float>() + terms.Item.item<float>();
        Assert.Equal(equal, loss.forward(output, targets).Total.item<float>(), 1e-5f);
    }

    [Fact]
    public void A_batch_without_labels_gives_zero_loss_and_zero_gradients()
    {
        using var scope = NewDisposeScope();
        var output = Output(withItems: false);
        using var loss = new FashionNetLoss(AttributeLoss());
        var terms = loss.forward(output, new FashionNetTargets());

        Assert.Equal(0f, terms.Total.item<float>());
        terms.Total.backward();
        foreach (var input in new[] { output.Landmarks, output.VisibilityLogits, output.CategoryLogits, output.AttributeLogits })
            Assert.Equal(0f, input.grad!.abs().sum().item<float>());
        Assert.Throws<ArgumentException>(() => loss.Weights = new FashionNetLossWeights(Triplet: -1));
    }
}
