using FashionNet.Model.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Tests.Model;

public class LossTests
{
    private const float Tolerance = 1e-5f;

    [Fact]
    public void Landmark_loss_averages_squared_distances_over_visible_landmarks_only()
    {
        using var scope = NewDisposeScope();
        var predicted = tensor(new[] { 0.1f, 0.2f, 0.5f, 0.5f, 0f, 0f, 1f, 1f }, [2L, 2, 2], requires_grad: true);
        // The invisible landmarks' targets are NaN placeholders: they must not reach the loss or its gradient.
        var target = tensor(new[] { 0.2f, 0.4f, float.NaN, float.NaN, 0.3f, 0.4f, 0f, 0f }, [2L, 2, 2]);
        var visibility = tensor(new[] { 1f, 0f, 1f, 0f }, [2L, 2]);

        using var loss = new LandmarkRegressionLoss();
        var value = loss.forward(predicted, target, visibility);
        value.backward();

        Assert.Equal((0.05f + 0.25f) / 2, value.item<float>(), Tolerance); // (0.1^2 + 0.2^2 + 0.3^2 + 0.4^2) / 2 visible
        // d/dp of sum v ||p - t||^2 / 2 = (p - t) at visible landmarks, 0 elsewhere.
        Assert.Equal(new[] { -0.1f, -0.2f, 0f, 0f, -0.3f, -0.4f, 0f, 0f }, predicted.grad!.data<float>().ToArray(), new FloatComparer(Tolerance));
    }

    [Fact]
    public void Visibility_loss_is_binary_cross_entropy_over_labelled_slots()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new[] { 0f, 2f, -1f, 3f }, [2L, 2]);
        var visible = tensor(new[] { 1f, 0f, 0f, 1f }, [2L, 2]);
        var labelled = tensor(new[] { 1f, 1f, 0f, 0f }, [2L, 2]);
        using var loss = new VisibilityLoss();

        // ln 2 and ln(1 + e^2) for the labelled first sample.
        Assert.Equal(1.4100376f, loss.forward(logits, visible, labelled).item<float>(), Tolerance);
        // All four: + ln(1 + e^-1) + ln(1 + e^-3).
        Assert.Equal(0.7954811f, loss.forward(logits, visible, null).item<float>(), Tolerance);
    }

    [Fact]
    public void Cross_entropy_skips_missing_labels_and_checks_range()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new[] { 1f, 2f, 3f, 0f, 0f, 0f, 5f, 0f, 0f }, [3L, 3]);
        using var loss = new MaskedCrossEntropyLoss();

        // (ln(e + e^2 + e^3) - 3 + ln(e^5 + 2) - 5) / 2; the middle sample has no label.
        Assert.Equal(0.21049593f, loss.forward(logits, tensor(new long[] { 2, -1, 0 })).item<float>(), Tolerance);
        Assert.Throws<ArgumentException>(() => loss.forward(logits, tensor(new long[] { 3, 0, 0 })));
        Assert.Throws<ArgumentException>(() => loss.forward(logits, tensor(new[] { 0f, 1f, 2f })));
    }

    [Fact]
    public void Batch_hard_miner_pairs_each_anchor_with_its_farthest_positive_and_closest_negative()
    {
        using var scope = NewDisposeScope();
        // Points on a line: class 0 at 0 and 1, class 1 at 3 and 4, an unlabelled point at 2.5, a singleton class 2 at 20.
        var embeddings = tensor(new[] { 0f, 0f, 1f, 0f, 3f, 0f, 4f, 0f, 2.5f, 0f, 20f, 0f }, [6L, 2]);
        var labels = tensor(new long[] { 0, 0, 1, 1, -1, 2 });
        using var miner = new BatchHardMiner();
        using var triplets = miner.forward(embeddings, labels);

        Assert.Equal(new long[] { 0, 1, 2, 3 }, triplets.Anchors.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 0, 3, 2 }, triplets.Positives.data<long>().ToArray());
        Assert.Equal(new long[] { 2, 2, 1, 1 }, triplets.Negatives.data<long>().ToArray());
    }

    [Fact]
    public void Triplet_loss_is_the_mean_hinge_over_mined_triplets()
    {
        using var scope = NewDisposeScope();
        var embeddings = tensor(new[] { 0f, 0f, 1f, 0f, 3f, 0f, 4f, 0f }, [4L, 2], requires_grad: true);
        var labels = tensor(new long[] { 0, 0, 1, 1 });
        using var miner = new BatchHardMiner();
        using var loss = new TripletMarginLoss(margin: 1.5);
        using var triplets = miner.forward(embeddings, labels);

        var value = loss.forward(embeddings, triplets);
        value.backward();

        // Hinges: 1 - 3 + 1.5 -> 0, 1 - 2 + 1.5 = 0.5, 0.5, 0 -> mean 0.25.
        Assert.Equal(0.25f, value.item<float>(), Tolerance);
        // Active triplets (a; p, n) = (1; 0, 2) and (2; 3, 1), each weighted 1/4. Along x, |x1 - x0| - |x1 - x2| gives
        // x0: -1, x1: +2, x2: -1; |x2 - x3| - |x2 - x1| gives x2: -2, x3: +1, x1: +1.
        Assert.Equal(new[] { -0.25f, 0f, 0.75f, 0f, -0.75f, 0f, 0.25f, 0f }, embeddings.grad!.data<float>().ToArray(), new FloatComparer(Tolerance));
    }

    [Fact]
    public void All_missing_labels_give_zero_losses_that_still_backpropagate()
    {
        using var scope = NewDisposeScope();
        var landmarks = rand(2, 8, 2, requires_grad: true);
        var visibilityLogits = randn(2, 8, requires_grad: true);
        var categoryLogits = randn(2, 5, requires_grad: true);
        var embeddings = randn(4, 3, requires_grad: true);
        var none = zeros(2, 8);

        using var landmarkLoss = new LandmarkRegressionLoss();
        using var visibilityLoss = new VisibilityLoss();
        using var categoryLoss = new MaskedCrossEntropyLoss();
        using var miner = new BatchHardMiner();
        using var tripletLoss = new TripletMarginLoss(0.2);
        using var triplets = miner.forward(embeddings, tensor(new long[] { 0, 1, 2, -1 })); // no positives anywhere

        var terms = new[]
        {
            landmarkLoss.forward(landmarks, full(2, 8, 2, float.NaN), none),
            visibilityLoss.forward(visibilityLogits, none, none),
            categoryLoss.forward(categoryLogits, full(2, -1L)),
            tripletLoss.forward(embeddings, triplets),
        };
        Assert.Equal(0, triplets.Count);
        foreach (var term in terms) Assert.Equal(0f, term.item<float>());
        stack(terms).sum().backward();
        foreach (var input in new[] { landmarks, visibilityLogits, categoryLogits, embeddings })
        {
            Assert.NotNull(input.grad);
            Assert.Equal(0f, input.grad!.abs().sum().item<float>());
        }
    }

    private sealed class FloatComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
