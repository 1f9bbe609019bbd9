using FashionNet.Data;
using FashionNet.Model;
using FashionNet.Model.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Tests.Model;

public class FashionNetModelTests
{
    private static FashionNetOptions SmallOptions(int size, LandmarkSource evaluation = LandmarkSource.Predicted, bool freeze = false,
        bool localBranch = true, BackboneMap pooledMap = BackboneMap.Trunk, int bins = 1, int items = 0) => new()
    {
        ItemCount = items,
        PooledMap = pooledMap,
        PoolingBins = bins,
        ImageWidth = size,
        ImageHeight = size,
        GlobalFeatureSize = 32,
        PoseGridSize = 2,
        PoseHiddenSize = 32,
        LocalFeatureSize = 24,
        EmbeddingSize = 16,
        CategoryCount = 5,
        AttributeCount = 7,
        EvaluationLandmarks = evaluation,
        FreezeTrunk = freeze,
        UseLocalBranch = localBranch,
    };

    [Theory]
    [InlineData(BackboneKind.ResNet18, 64)]
    [InlineData(BackboneKind.Vgg16, 32)]
    public void Forward_produces_every_output_with_its_documented_shape(BackboneKind kind, int size)
    {
        using var scope = NewDisposeScope();
        using var model = new FashionNetModel(SmallOptions(size), BackboneFactory.Create(kind));
        model.eval();
        using var output = model.forward(randn(2, 3, size, size), null);

        Assert.Equal([2L, 16], output.Embedding.shape);
        Assert.Equal([2L, 32], output.GlobalFeature.shape);
        Assert.Equal([2L, 24], output.LocalFeature.shape);
        Assert.Equal([2L, 8, 2], output.Landmarks.shape);
        Assert.Equal([2L, 8], output.VisibilityLogits.shape);
        Assert.Equal([2L, 5], output.CategoryLogits.shape);
        Assert.Equal([2L, 7], output.AttributeLogits.shape);
        Assert.Equal([2L, 0], output.ItemSimilarities.shape);
        Assert.DoesNotContain(model.named_parameters(), p => p.name.StartsWith("itemHead", StringComparison.Ordinal));
        Assert.True(allclose(output.Embedding.norm(1), ones(2), 1e-5, 1e-5));
        Assert.True(output.Landmarks.gt(0).all().item<bool>() && output.Landmarks.lt(1).all().item<bool>());
    }

    [Fact]
    public void Without_the_local_branch_the_embedding_is_fused_from_the_global_feature_alone()
    {
        using var scope = NewDisposeScope();
        using var model = new FashionNetModel(SmallOptions(64, localBranch: false), ResNet.ResNet18());
        model.train();
        using var output = model.forward(randn(2, 3, 64, 64), Truth(rand(2, 8, 2), ones(2, 8)));

        Assert.Equal([2L, 0], output.LocalFeature.shape);
        Assert.Equal([2L, 16], output.Embedding.shape);
        Assert.DoesNotContain(model.named_parameters(), p => p.name.StartsWith("localFc.", StringComparison.Ordinal));
        // The fusion layer reads the 32 global features only.
        Assert.Equal([16L, 32], model.named_parameters().Single(p => p.name == "fusionFc.weight").parameter.shape);
        SumOfAllOutputs(output).backward();
        Assert.All(model.named_parameters(), p => Assert.True(p.parameter.grad is not null, $"{p.name} got no gradient"));
    }

    [Theory]
    [InlineData(BackboneMap.Trunk, 256, 4)]
    [InlineData(BackboneMap.Stride8, 128, 8)]
    public void The_local_branch_pools_the_chosen_map(BackboneMap map, int channels, int cells)
    {
        using var scope = NewDisposeScope();
        using var model = new FashionNetModel(SmallOptions(64, pooledMap: map, bins: 2), ResNet.ResNet18());
        model.train();
        var images = randn(2, 3, 64, 64);
        Assert.Equal(cells, model.Backbone.ForwardTrunkMaps(images)[map].shape[3]);
        // 8 slots x channels x 2 x 2 bins feed the local fc.
        Assert.Equal([24L, 8 * channels * 4], model.named_parameters().Single(p => p.name == "localFc.weight").parameter.shape);

        using var output = model.forward(images, Truth(full(2, 8, 2, 0.5f), ones(2, 8)));
        SumOfAllOutputs(output).backward();
        Assert.True(model.named_parameters().Single(p => p.name == "backbone.layer2.0.conv1.weight").parameter.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void The_item_head_scores_the_embedding_by_cosine_similarity_to_each_item_proxy_and_trains_the_embedding()
    {
        using var scope = NewDisposeScope();
        using var model = new FashionNetModel(SmallOptions(64, items: 3), ResNet.ResNet18());
        model.train();
        using var output = model.forward(randn(2, 3, 64, 64), null);

        var proxies = model.named_parameters().Single(p => p.name == "itemHead.weight").parameter;
        Assert.Equal([3L, 16], proxies.shape);
        Assert.Equal([2L, 3], output.ItemSimilarities.shape);
        // Oracle: the cosine of each embedding with each proxy row, from dot products and norms.
        var expected = output.Embedding.detach().matmul(proxies.detach().t()) / proxies.detach().norm(1).unsqueeze(0);
        Assert.True(allclose(output.ItemSimilarities.detach(), expected, 1e-5, 1e-6));
        Assert.True(output.ItemSimilarities.abs().le(1 + 1e-6).all().item<bool>());

        output.ItemSimilarities.square().sum().backward();
        foreach (string name in new[] { "itemHead.weight", "fusionFc.weight", "globalFc.weight" })
            Assert.True(HasGradient(model.named_parameters().Single(p => p.name == name).parameter), $"{name} got no gradient");
    }

    [Fact]
    public void Setting_item_proxies_normalizes_each_given_direction_keeps_the_proxies_of_zero_rows_and_refuses_a_wrong_shape()
    {
        using var scope = NewDisposeScope();
        using var model = new FashionNetModel(SmallOptions(64, items: 3), ResNet.ResNet18());
        var proxies = model.named_parameters().Single(p => p.name == "itemHead.weight").parameter;
        var before = proxies.detach().clone();
        var directions = zeros(3, 16);
        directions[0, 0] = 4;
        directions[2] = arange(16, dtype: ScalarType.Float32);

        model.SetItemProxies(directions);

        Assert.Equal(new[] { 1f, 0f, 0f }, proxies[0, ..3].data<float>().ToArray());
        Assert.True(allclose(proxies[1], before[1]), "the proxy of an item without a direction moved");
        Assert.True(allclose(proxies[2], nn.functional.normalize(directions[2], p: 2, dim: 0), 1e-6, 1e-7));

        var wrongShape = Assert.Throws<ArgumentException>(() => model.SetItemProxies(zeros(3, 8)));
        Assert.Contains("[3, 16]", wrongShape.Message);
        using var withoutHead = new FashionNetModel(SmallOptions(64), ResNet.ResNet18());
        Assert.Contains("no item head", Assert.Throws<InvalidOperationException>(() => withoutHead.SetItemProxies(zeros(0, 16))).Message);
    }

    [Fact]
    public void Embed_returns_the_forward_embedding()
    {
        using var scope = NewDisposeScope();
        using var model = new FashionNetModel(SmallOptions(64), ResNet.ResNet18());
        model.eval();
        var images = randn(3, 3, 64, 64);
        using var output = model.forward(images, null);
        var embedding = model.Embed(images);
        Assert.Equal([3L, 16], embedding.shape);
        Assert.True(embedding.eq(output.Embedding).all().item<bool>());
    }

    [Fact]
    public void Training_with_ground_truth_landmarks_sends_gradient_to_every_branch()
    {
        using var scope = NewDisposeScope();
        using var model = new FashionNetModel(SmallOptions(64), ResNet.ResNet18());
        model.train();
        var visibility = tensor(new float[] { 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1 }, [2L, 8]);
        using var output = model.forward(randn(2, 3, 64, 64), Truth(rand(2, 8, 2), visibility));

        SumOfAllOutputs(output).backward();

        foreach (var (name, parameter) in model.named_parameters())
        {
            Assert.True(parameter.grad is not null, $"{name} got no gradient");
            Assert.True(parameter.grad!.abs().sum().item<float>() > 0, $"{name} got a zero gradient");
        }
        Assert.Contains(model.named_parameters(), p => p.name.StartsWith("backbone.layer1.", StringComparison.Ordinal));
        Assert.Contains(model.named_parameters(), p => p.name.StartsWith("poseStage.", StringComparison.Ordinal));
    }

    [Fact]
    public void Frozen_trunk_gets_no_gradient_but_the_branches_do()
    {
        using var scope = NewDisposeScope();
        using var model = new FashionNetModel(SmallOptions(64, freeze: true), ResNet.ResNet18());
        model.train();
        var trunkMean = model.state_dict()["backbone.layer3.1.bn2.running_mean"].clone();
        using var output = model.forward(randn(2, 3, 64, 64), Truth(rand(2, 8, 2), ones(2, 8)));
        SumOfAllOutputs(output).backward();
        Assert.True(model.state_dict()["backbone.layer3.1.bn2.running_mean"].eq(trunkMean).all().item<bool>());

        string[] trunk = ["backbone.conv1.", "backbone.bn1.", "backbone.layer1.", "backbone.layer2.", "backbone.layer3."];
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (trunk.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal))) Assert.Null(parameter.grad);
            else Assert.NotNull(parameter.grad);
        }
    }

    [Fact]
    public void Detached_auxiliary_heads_train_their_own_layers_only_and_leave_the_outputs_unchanged()
    {
        using var scope = NewDisposeScope();
        using var model = new FashionNetModel(SmallOptions(64, bins: 2), ResNet.ResNet18());
        model.train();
        var images = randn(2, 3, 64, 64);
        using var truth = Truth(rand(2, 8, 2), ones(2, 8));
        using var joint = model.forward(images, truth);

        model.DetachAuxiliaryHeads = true;
        using var detached = model.forward(images, truth);
        (detached.Landmarks.square().sum() + detached.VisibilityLogits.square().sum()
            + detached.CategoryLogits.square().sum() + detached.AttributeLogits.square().sum()).backward();

        Assert.True(Same(detached.Embedding, joint.Embedding) && Same(detached.Landmarks, joint.Landmarks)
            && Same(detached.CategoryLogits, joint.CategoryLogits), "detaching changed an output");
        string[] auxiliary = ["poseStage.", "poseFc1.", "poseFc2.", "landmarkHead.", "visibilityHead.", "categoryHead.", "attributeHead."];
        AssertGradientReachedOnly(model, name => auxiliary.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)));
    }

    [Fact]
    public void A_detached_local_branch_trains_its_own_fc_only_and_leaves_the_outputs_unchanged()
    {
        using var scope = NewDisposeScope();
        using var model = new FashionNetModel(SmallOptions(64, bins: 2), ResNet.ResNet18());
        model.train();
        var images = randn(2, 3, 64, 64);
        using var truth = Truth(rand(2, 8, 2), ones(2, 8));
        using var joint = model.forward(images, truth);
        joint.LocalFeature.square().sum().backward();
        Assert.True(model.named_parameters().Any(p => p.name.StartsWith("backbone.layer1.", StringComparison.Ordinal) && HasGradient(p.parameter)),
            "joint: the local branch's gradient should reach the trunk");
        model.zero_grad();

        model.DetachLocalBranch = true;
        using var detached = model.forward(images, truth);
        detached.LocalFeature.square().sum().backward();

        Assert.True(Same(detached.Embedding, joint.Embedding) && Same(detached.LocalFeature, joint.LocalFeature), "detaching changed an output");
        AssertGradientReachedOnly(model, name => name.StartsWith("localFc.", StringComparison.Ordinal));
    }

    /// <summary>Asserts that the last backward pass left a nonzero gradient on exactly the parameters <paramref name="expected"/> names.</summary>
    private static void AssertGradientReachedOnly(FashionNetModel model, Func<string, bool> expected)
    {
        foreach (var (name, parameter) in model.named_parameters())
        {
            bool reached = HasGradient(parameter);
            Assert.True(reached == expected(name), $"{name}: gradient {(reached ? "reached it" : "did not reach it")}");
        }
    }

    private static bool HasGradient(Tensor parameter) => parameter.grad is { } grad && grad.abs().sum().item<float>() > 0;

    [Fact]
    public void Pooling_at_ground_truth_equal_to_the_predictions_is_bit_identical_to_pooling_at_the_predictions()
    {
        using var scope = NewDisposeScope();
        var images = randn(4, 3, 64, 64);
        using var withPredictions = new FashionNetModel(SmallOptions(64), ResNet.ResNet18());
        withPredictions.eval();
        using var reference = withPredictions.forward(images, null);

        // The model's own predictions handed back as ground truth: a wrong scale, swapped x / y or an inverted
        // visibility mask on the ground-truth path would pool other cells.
        var predictedVisible = reference.VisibilityLogits.sigmoid().gt(withPredictions.Options.VisibilityThreshold);
        Assert.True(predictedVisible.any().item<bool>() && !predictedVisible.all().item<bool>(), "the untrained gate should pass some slots, not all");
        using var ownPredictions = new LandmarkTargets(reference.Landmarks.clone(), predictedVisible, ones_like(predictedVisible), labelledSamples: 4);
        using var withTruth = new FashionNetModel(SmallOptions(64, evaluation: LandmarkSource.GroundTruth), ResNet.ResNet18());
        withTruth.load_state_dict(withPredictions.state_dict());
        withTruth.eval();
        using var pooledAtTruth = withTruth.forward(images, ownPredictions);
        Assert.True(pooledAtTruth.LocalFeature.eq(reference.LocalFeature).all().item<bool>());
        Assert.True(pooledAtTruth.Embedding.eq(reference.Embedding).all().item<bool>());

        // Elsewhere the truth does change the local feature, not the global one; predictions ignore it.
        using var elsewhere = TruthFarFromUntrainedPredictions(4);
        using var pooledElsewhere = withTruth.forward(images, elsewhere);
        Assert.False(pooledElsewhere.LocalFeature.eq(reference.LocalFeature).all().item<bool>());
        Assert.True(pooledElsewhere.GlobalFeature.eq(reference.GlobalFeature).all().item<bool>());
        using var truthIgnored = withPredictions.forward(images, elsewhere);
        Assert.True(truthIgnored.LocalFeature.eq(reference.LocalFeature).all().item<bool>());
        // Samples without a visible true landmark fall back to the predictions.
        using var noneVisible = Truth(full(4, 8, 2, 0.1f), zeros(4, 8));
        using var fallback = withTruth.forward(images, noneVisible);
        Assert.True(fallback.LocalFeature.eq(reference.LocalFeature).all().item<bool>());
    }

    [Fact]
    public void Training_mode_pools_at_the_truth_unless_switched_to_the_predictions()
    {
        using var scope = NewDisposeScope();
        var images = randn(4, 3, 64, 64);
        using var model = new FashionNetModel(SmallOptions(64), ResNet.ResNet18());
        model.train();
        Assert.Equal(LandmarkSource.GroundTruth, model.TrainingLandmarks);
        using var elsewhere = TruthFarFromUntrainedPredictions(4);
        using var atTruth = model.forward(images, elsewhere);
        using var atPredictions = model.forward(images, null);
        Assert.False(atTruth.LocalFeature.eq(atPredictions.LocalFeature).all().item<bool>());

        model.TrainingLandmarks = LandmarkSource.Predicted;
        using var truthIgnored = model.forward(images, elsewhere);

        Assert.True(truthIgnored.LocalFeature.eq(atPredictions.LocalFeature).all().item<bool>());
        Assert.True(truthIgnored.GlobalFeature.eq(atTruth.GlobalFeature).all().item<bool>());
        Assert.Throws<ArgumentOutOfRangeException>(() => model.TrainingLandmarks = (LandmarkSource)42);
    }

    [Fact]
    public void Switching_evaluation_to_no_landmarks_takes_the_image_out_of_the_local_feature()
    {
        using var scope = NewDisposeScope();
        var images = randn(2, 3, 64, 64);
        var allVisible = ones(2, 8);
        using var model = new FashionNetModel(SmallOptions(64, evaluation: LandmarkSource.GroundTruth), ResNet.ResNet18());
        model.eval();
        using var truth = Truth(full(2, 8, 2, 0.5f), allVisible);
        using var pooled = model.forward(images, truth);
        Assert.False(pooled.LocalFeature[0].eq(pooled.LocalFeature[1]).all().item<bool>());

        model.EvaluationLandmarks = LandmarkSource.None;
        using var ablated = model.forward(images, truth);

        // Nothing pooled: both images get the same local feature, and the global branch is untouched.
        Assert.True(ablated.LocalFeature[0].eq(ablated.LocalFeature[1]).all().item<bool>());
        Assert.True(ablated.GlobalFeature.eq(pooled.GlobalFeature).all().item<bool>());
        model.train();
        using var training = model.forward(images, truth); // training mode follows TrainingLandmarks
        Assert.False(training.LocalFeature[0].eq(training.LocalFeature[1]).all().item<bool>());
        Assert.Throws<ArgumentOutOfRangeException>(() => model.EvaluationLandmarks = (LandmarkSource)42);
    }

    [Fact]
    public void Wrong_inputs_are_rejected_with_the_argument_named()
    {
        using var scope = NewDisposeScope();
        using var model = new FashionNetModel(SmallOptions(64), ResNet.ResNet18());
        Assert.Equal("images", Assert.Throws<ArgumentException>(() => model.forward(randn(1, 3, 32, 32), null)).ParamName);
        using var sixSlots = Truth(rand(1, 6, 2), ones(1, 6));
        Assert.Equal("groundTruth", Assert.Throws<ArgumentException>(() => model.forward(randn(1, 3, 64, 64), sixSlots)).ParamName);
        using var otherBatch = Truth(rand(2, 8, 2), ones(2, 8));
        Assert.Equal("groundTruth", Assert.Throws<ArgumentException>(() => model.forward(randn(1, 3, 64, 64), otherBatch)).ParamName);
        Assert.Throws<ArgumentException>(() => new FashionNetModel(new FashionNetOptions { PoolingWindow = 2 }, ResNet.ResNet18()));
        Assert.Contains("ItemCount", Assert.Throws<ArgumentException>(() => new FashionNetModel(new FashionNetOptions { ItemCount = -1 }, ResNet.ResNet18())).Message);
    }

    private static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();

    /// <summary>A scalar that depends on every output (squares, so that no gradient is a constant the heads could absorb).</summary>
    private static Tensor SumOfAllOutputs(FashionNetOutput output)
    {
        return output.Embedding.square().sum() + output.Landmarks.square().sum() + output.VisibilityLogits.square().sum()
            + output.CategoryLogits.square().sum() + output.AttributeLogits.square().sum() + output.ItemSimilarities.square().sum();
    }

    /// <summary>Ground truth with every slot labelled, visible where <paramref name="visibility"/> is nonzero.</summary>
    /// <summary>All 8 slots visible near the top-left corner, far from an untrained model's predictions (about 0.5).</summary>
    private static LandmarkTargets TruthFarFromUntrainedPredictions(int images) => Truth(full(images, 8, 2, 0.1f), ones(images, 8));

    private static LandmarkTargets Truth(Tensor positions, Tensor visibility) =>
        new(positions, visibility.ne(0), ones_like(visibility, ScalarType.Bool), labelledSamples: (int)positions.shape[0]);
}
