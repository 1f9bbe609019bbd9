using FashionNet.Data.Annotations;
using FashionNet.Evaluation;
using FashionNet.Inference;
using FashionNet.Model.Pretrained;
using FashionNet.Tests.TestSupport;
using Xunit.Abstractions;

namespace FashionNet.Tests.Inference;

/// <summary>
/// The imagenet-resnet18 baseline on a small, fixed subset of the real In-shop sample. The full reproduction of the
/// sample's published figures takes minutes and is a measured figure in the README, not a test; this checks quickly
/// that weights, preprocessing and evaluator compose into a working retrieval on real photos.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class BaselineRealDataTests(ITestOutputHelper output)
{
    private const int Items = 16;

    [SkippableFact]
    public void BaselineRetrievesRealInShopItemsFarAboveChance()
    {
        string root = SharedData.Require(SharedData.InShopSample);
        Skip.IfNot(ImageNetWeights.Exist(), $"ImageNet ResNet18 ONNX files not found under '{ImageNetWeights.DefaultDirectory}'; skipped.");
        var dataset = DeepFashionReader.Read(root, DeepFashionFormat.InShop);
        var items = dataset.IndicesOf(EvaluationSplit.Query).Select(i => dataset.Samples[i].ItemId!).Distinct().Order(StringComparer.Ordinal).Take(Items).ToHashSet();
        var indices = dataset.IndicesOf(EvaluationSplit.Query).Concat(dataset.IndicesOf(EvaluationSplit.Gallery))
            .Where(i => items.Contains(dataset.Samples[i].ItemId!)).ToArray();

        using var embedder = ImageNetBaselineEmbedder.Load();
        using var embeddings = ImageEmbedding.EmbedSamples(embedder, dataset, indices);
        var result = BenchmarkEvaluation.InShopRetrieval(dataset, indices, embeddings, new RetrievalEvaluationOptions { Ks = [1, 5] });
        output.WriteLine(EvaluationTable.Format(result));

        // With one or two gallery images per item among ~16 items, chance is about 1 in 16 at k = 1.
        Assert.Equal(512, embedder.Dimension);
        Assert.True(result.HitRate[0].Rate > 0.4, $"R@1 {result.HitRate[0].Rate:0.000} on {result.QueryCount} queries");
        Assert.True(result.HitRate[1].Rate > 0.7, $"R@5 {result.HitRate[1].Rate:0.000} on {result.QueryCount} queries");
    }
}
