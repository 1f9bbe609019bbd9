using System.Text.Json;
using FashionNet.Data;
using FashionNet.Data.Annotations;
using FashionNet.Data.Imaging;
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
        var retrieval = new RetrievalEvaluationResult(3, 5, 0, [new(1, 0.25), new(10, 0.5)], [new(1, 0.125), new(10, 0.375)], [1, 0, 4]);
        var report = new BenchmarkReport("imagenet-resnet18", "/data/inshop", EvaluationProtocol.InShopRetrieval, 8, Retrieval: retrieval);

        using var document = JsonDocument.Parse(EvaluationJson.Serialize(report));

        var root = document.RootElement;
        Assert.Equal(["model", "dataset", "protocol", "imageCount", "retrieval", "category", "attributes", "landmarks", "gating", "features",
            "neighbourCategory"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("InShopRetrieval", root.GetProperty("protocol").GetString());
        Assert.Equal(0.5, root.GetProperty("retrieval").GetProperty("hitRate")[1].GetProperty("rate").GetDouble());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("category").ValueKind);
    }

    /// <summary>Rows of hand-made logits for samples 2, 0, 3, 1 (not dataset order), so a wrong row mapping shows.</summary>
    private static DatasetPredictions Predictions(float[] categoryLogits, int categories, float[] attributeLogits, int attributes) =>
        new([2, 0, 3, 1], zeros(4, 2), new float[4 * 16], new float[4 * 8], [.. Enumerable.Repeat(new ImageSize(10, 10), 4)],
            tensor(categoryLogits, [4, categories]), tensor(attributeLogits, [4, attributes]), features: null);

    /// <summary>A Category and Attribute dataset of images 0.jpg, 1.jpg, ... with these category labels (1-based; null: none).</summary>
    private static FashionDataset CategoryDataset(int?[] labels, params CategoryInfo[] categories) => new(DeepFashionFormat.CategoryAttribute, "/data",
        [.. labels.Select((label, i) => new FashionSample { ImagePath = $"{i}.jpg", CategoryLabel = label })], [], categories, [], [], new ParseReport());

    private static AttributeLabels Labels(AttributeMatrix matrix, params int[] positives)
    {
        matrix.BeginRow(out var known, out var positive);
        for (int column = 0; column < matrix.ColumnCount; column++) known[column / 64] |= 1UL << (column % 64);
        foreach (int column in positives) positive[column / 64] |= 1UL << (column % 64);
        return new AttributeLabels(matrix, matrix.CommitRow());
    }

    [Fact]
    public void CategoryAccuracyReadsEachRowsLabelFromItsSample()
    {
        var dataset = CategoryDataset([1, 6, 4, null]);
        float[] descending = [5, 4, 3, 2, 1, 0];
        using var predictions = Predictions([.. descending, .. descending, .. descending, .. descending], 6, new float[4], 1);

        var result = BenchmarkEvaluation.Categories(dataset, predictions);

        // Ranks: sample 0 (label 1) first, sample 2 (label 4) fourth, sample 1 (label 6) last; sample 3 has no label.
        Assert.Equal(3, result.SampleCount);
        Assert.Equal([(3, 1 / 3.0), (5, 2 / 3.0)], result.TopK.Select(r => (r.K, r.Rate)));
    }

    [Fact]
    public void CategoryAccuracyNamesEachCategoryFromTheDataset()
    {
        var dataset = CategoryDataset([2, 2, 1, null], new("Blouse", ClothesType.Upper), new("Jeans", ClothesType.Lower), new("Dress", ClothesType.FullBody));
        // Rows are samples 2, 0, 3, 1: the Blouse is right, one pair of Jeans is taken for a Dress.
        using var predictions = Predictions([1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1], 3, new float[4], 1);

        var result = BenchmarkEvaluation.Categories(dataset, predictions, [1]);

        Assert.Equal(
        [
            new CategoryTop1(0, "Blouse", 1, 1.0, null),
            new CategoryTop1(1, "Jeans", 2, 0.5, new CategoryConfusion(2, "Dress", 1, 0.5)),
        ], result.PerCategory.ToArray());
    }

    [Fact]
    public void AttributeRecallCountsPositivesPerImageAndPerType()
    {
        var matrix = new AttributeMatrix(4, 2);
        var samples = new[]
        {
            new FashionSample { ImagePath = "0.jpg", Attributes = Labels(matrix, 0, 2) },
            new FashionSample { ImagePath = "1.jpg", Attributes = Labels(matrix, 3) },
            new FashionSample { ImagePath = "2.jpg" },
            new FashionSample { ImagePath = "3.jpg" },
        };
        AttributeInfo[] attributes = [new("a", 1), new("b", 1), new("c", 2), new("d", 2)];
        var dataset = new FashionDataset(DeepFashionFormat.CategoryAttribute, "/data", samples, [], [], attributes, [], new ParseReport());
        // Rows are samples 2, 0, 3, 1: sample 0 ranks a, b, c, d; sample 1 ranks d, c, b, a.
        using var predictions = Predictions(new float[4], 1, [0, 0, 0, 0, 4, 3, 2, 1, 0, 0, 0, 0, 1, 2, 3, 4], 4);

        var result = BenchmarkEvaluation.Attributes(dataset, predictions, [1, 2]);

        Assert.Equal(2, result.ImagesWithPositives);
        // Sample 0 finds a (of a, c) in its top 1 and top 2; sample 1 finds d at once.
        Assert.Equal([0.75, 0.75], result.Recall.Select(r => r.Rate));
        Assert.Equal([1.0, 1.0], result.PerType[0].Recall.Select(r => r.Rate));
        Assert.Equal([0.5, 0.5], result.PerType[1].Recall.Select(r => r.Rate));
        Assert.Equal(["texture", "fabric"], result.PerType.Select(t => t.Name));
    }
}
