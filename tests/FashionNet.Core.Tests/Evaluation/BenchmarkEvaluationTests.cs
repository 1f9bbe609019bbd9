using System.Text.Json;
using FashionNet.Data.Annotations;
using FashionNet.Evaluation;
using static TorchSharp.torch;

namespace FashionNet.Tests.Evaluation;

public sealed class BenchmarkEvaluationTests
{
    private static readonly RetrievalEvaluationOptions FirstTwo = new() { Ks = [1, 2] };

    /// <summary>
    /// Items A and B are test pairs, C a training pair. Embeddings: each test consumer photo is nearest to its own shop
    /// image among the test shop images, but the training shop image of C is an exact copy of A's consumer photo, so
    /// letting training images into the gallery would turn A's hit into a miss.
    /// </summary>
    private static (FashionDataset Dataset, Tensor Embeddings) ConsumerToShop()
    {
        FashionSample Sample(string name, string item, int itemIndex, ImageSource source, EvaluationSplit split) =>
            new() { ImagePath = name, ItemId = item, ItemIndex = itemIndex, Source = source, Split = split };
        var samples = new[]
        {
            Sample("cA.jpg", "A", 0, ImageSource.Consumer, EvaluationSplit.Test),
            Sample("sA.jpg", "A", 0, ImageSource.Shop, EvaluationSplit.Test),
            Sample("cB.jpg", "B", 1, ImageSource.Consumer, EvaluationSplit.Test),
            Sample("sB.jpg", "B", 1, ImageSource.Shop, EvaluationSplit.Test),
            Sample("cC.jpg", "C", 2, ImageSource.Consumer, EvaluationSplit.Train),
            Sample("sC.jpg", "C", 2, ImageSource.Shop, EvaluationSplit.Train),
        };
        var pairs = new[]
        {
            new ConsumerShopPair(0, 1, 0, EvaluationSplit.Test),
            new ConsumerShopPair(2, 3, 1, EvaluationSplit.Test),
            new ConsumerShopPair(4, 5, 2, EvaluationSplit.Train),
        };
        var dataset = new FashionDataset(DeepFashionFormat.ConsumerToShop, "/data", samples, ["A", "B", "C"], [], [], pairs, new ParseReport());
        var embeddings = tensor(new float[] { 1, 0, 0.6f, 0.8f, 0, 1, 0, 1, 0, 1, 1, 0 }, [6, 2]);
        return (dataset, embeddings);
    }

    [Fact]
    public void ConsumerToShopSearchesTheSplitsConsumerPhotosAgainstItsShopImages()
    {
        var (dataset, embeddings) = ConsumerToShop();
        using var _ = embeddings;

        var (consumers, shops) = BenchmarkEvaluation.ConsumerToShopImages(dataset);
        var result = BenchmarkEvaluation.ConsumerToShopRetrieval(dataset, [0, 1, 2, 3, 4, 5], embeddings, options: FirstTwo);

        Assert.Equal([0, 2], consumers);
        Assert.Equal([1, 3], shops);
        Assert.Equal(2, result.QueryCount);
        Assert.Equal(2, result.GalleryCount);
        Assert.Equal([1.0, 1.0], result.HitRate.Select(r => r.Rate));
    }

    [Fact]
    public void ConsumerToShopOfTheTrainingSplitUsesOnlyItsPairs()
    {
        var (dataset, embeddings) = ConsumerToShop();
        using var _ = embeddings;

        var result = BenchmarkEvaluation.ConsumerToShopRetrieval(dataset, [0, 1, 2, 3, 4, 5], embeddings, EvaluationSplit.Train, FirstTwo);

        Assert.Equal((1, 1), (result.QueryCount, result.GalleryCount));
        Assert.Equal(1.0, result.HitRate[0].Rate);
    }

    [Fact]
    public void RowsThatDoNotCoverBothRolesAreRefusedWithTheCounts()
    {
        var (dataset, embeddings) = ConsumerToShop();
        using var _ = embeddings;
        using var consumersOnly = embeddings.index_select(0, tensor(new long[] { 0, 2 }));

        var error = Assert.Throws<ArgumentException>(() => BenchmarkEvaluation.ConsumerToShopRetrieval(dataset, [0, 2], consumersOnly));
        Assert.Contains("2 queries and 0 gallery images", error.Message);
        Assert.Throws<ArgumentException>(() => BenchmarkEvaluation.ConsumerToShopRetrieval(dataset, [0, 1, 2], consumersOnly));
    }

    [Fact]
    public void InShopRetrievalSplitsRowsByQueryAndGalleryStatus()
    {
        FashionSample Sample(string name, string item, EvaluationSplit split) => new() { ImagePath = name, ItemId = item, Split = split };
        var samples = new[]
        {
            Sample("q1.jpg", "A", EvaluationSplit.Query), Sample("g1.jpg", "A", EvaluationSplit.Gallery),
            Sample("g2.jpg", "B", EvaluationSplit.Gallery), Sample("t1.jpg", "A", EvaluationSplit.Train),
        };
        var dataset = new FashionDataset(DeepFashionFormat.InShop, "/data", samples, ["A", "B"], [], [], [], new ParseReport());
        // Rows in a different order than the dataset; the training image (identical to the query) must not be searched.
        using var embeddings = tensor(new float[] { 1, 0, 0.6f, 0.8f, 0.8f, 0.6f, 1, 0 }, [4, 2]);

        var result = BenchmarkEvaluation.InShopRetrieval(dataset, [3, 1, 2, 0], embeddings, FirstTwo);

        Assert.Equal((1, 2), (result.QueryCount, result.GalleryCount));
        Assert.Equal([0.0, 1.0], result.HitRate.Select(r => r.Rate));
    }

    [Fact]
    public void ReportJsonHoldsTheRunAndOnlyTheMeasuresTaken()
    {
        var retrieval = new RetrievalEvaluationResult(3, 5, 0, [new(1, 0.25), new(10, 0.5)], [new(1, 0.125), new(10, 0.375)]);
        var report = new BenchmarkReport("imagenet-resnet18", "/data/inshop", "inshop", 8, Retrieval: retrieval);

        using var document = JsonDocument.Parse(EvaluationJson.Serialize(report));

        var root = document.RootElement;
        Assert.Equal(["model", "dataset", "protocol", "imageCount", "retrieval", "category", "attributes", "landmarks"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("inshop", root.GetProperty("protocol").GetString());
        Assert.Equal(0.5, root.GetProperty("retrieval").GetProperty("hitRate")[1].GetProperty("rate").GetDouble());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("category").ValueKind);
    }
}
