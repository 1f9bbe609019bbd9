using FashionNet.Model;
using FashionNet.Training;
using TorchSharp.Modules;

namespace FashionNet.Tests.Training;

public sealed class TrainerOptimizerTests
{
    private static readonly ModelRecipe Recipe = new() { Initialization = BackboneInitialization.Random, ImageSize = 64, EmbeddingSize = 16, CategoryCount = 3, AttributeCount = 4 };

    [Fact]
    public void TheBackboneTrainsInItsOwnGroupAtTheReducedRateAndTheRestAtTheBaseRate()
    {
        using var model = Recipe.CreateArchitecture();
        var settings = new FashionNet.Training.OptimizerOptions { Kind = OptimizerKind.AdamW, LearningRate = 1e-3, BackboneLearningRateFactor = 0.25 };

        using var optimizer = FashionNetTrainer.CreateOptimizer(model, settings);

        var groups = optimizer.ParamGroups.Cast<ParamGroup>().ToArray();
        Assert.Equal(2, groups.Length);
        Assert.Equal(1e-3, groups[0].LearningRate, 12);
        Assert.Equal(2.5e-4, groups[1].LearningRate, 12);
        var backbone = model.Backbone.parameters().ToHashSet(ReferenceEqualityComparer.Instance);
        Assert.All(groups[1].Parameters, p => Assert.Contains(p, backbone));
        Assert.DoesNotContain(groups[0].Parameters, p => backbone.Contains(p));
        Assert.Equal(model.parameters().Count(), groups.Sum(g => g.Parameters.Count()));
    }

    [Fact]
    public void AFrozenTrunkIsLeftOutOfTheOptimizer()
    {
        using var model = (Recipe with { FreezeTrunk = true }).CreateArchitecture();

        using var optimizer = FashionNetTrainer.CreateOptimizer(model, new FashionNet.Training.OptimizerOptions { Kind = OptimizerKind.Sgd });

        var optimized = optimizer.ParamGroups.Cast<ParamGroup>().SelectMany(g => g.Parameters).ToArray();
        Assert.Equal(model.parameters().Count(p => p.requires_grad), optimized.Length);
        Assert.All(optimized, p => Assert.True(p.requires_grad));
        Assert.True(model.parameters().Count(p => !p.requires_grad) > 0);
    }
}
