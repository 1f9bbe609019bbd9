using FashionNet.Data.Annotations;

namespace FashionNet.Tests.Data.Annotations;

public sealed class HeldOutItemsTests : IDisposable
{
    private readonly DatasetFolder _folder = new();
    private readonly FashionDataset _dataset;

    public HeldOutItemsTests()
    {
        // Six training items with 3, 3, 3, 2, 4 and 1 images; one test item with a query and a gallery image.
        int[] imagesPerItem = [3, 3, 3, 2, 4, 1];
        var rows = new List<string>();
        for (int item = 0; item < imagesPerItem.Length; item++)
        {
            for (int k = 0; k < imagesPerItem[item]; k++) rows.Add($"img/id_{item:D8}/{k:D2}_front.jpg id_{item:D8} train");
        }
        rows.Add("img/id_00000099/00_front.jpg id_00000099 query");
        rows.Add("img/id_00000099/01_front.jpg id_00000099 gallery");
        _folder.Images(rows.Select(r => r.Split(' ')[0]).ToArray());
        _folder.WriteList("Eval/list_eval_partition.txt", "image_name item_id evaluation_status", rows);
        _dataset = _folder.Read(DeepFashionFormat.InShop);
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void HeldOutItemsLeaveTrainingAndAlternateQueryGallery()
    {
        var split = _dataset.WithHeldOutItems(2, seed: 3);

        var queryItems = split.IndicesOf(EvaluationSplit.Query).Select(i => split.Samples[i].ItemId).ToHashSet();
        var galleryItems = split.IndicesOf(EvaluationSplit.Gallery).Select(i => split.Samples[i].ItemId).ToHashSet();
        var trainItems = split.IndicesOf(EvaluationSplit.Train).Select(i => split.Samples[i].ItemId).ToHashSet();
        Assert.Equal(2, queryItems.Count);
        Assert.Equal(queryItems, galleryItems);
        Assert.Empty(trainItems.Intersect(queryItems));
        Assert.DoesNotContain("id_00000099", queryItems);
        Assert.DoesNotContain("id_00000005", queryItems); // one image: never a query without a gallery image
        foreach (string? item in queryItems)
        {
            var kinds = split.Samples.Where(s => s.ItemId == item).OrderBy(s => s.ImagePath, StringComparer.Ordinal).Select(s => s.Split).ToList();
            Assert.Equal(kinds.Select((_, k) => (EvaluationSplit?)(k % 2 == 0 ? EvaluationSplit.Query : EvaluationSplit.Gallery)), kinds);
        }
        Assert.Equal(_dataset.IndicesOf(EvaluationSplit.Train).Count, split.IndicesOf(EvaluationSplit.Train).Count
            + split.IndicesOf(EvaluationSplit.Query).Count + split.IndicesOf(EvaluationSplit.Gallery).Count);
    }

    [Fact]
    public void TestImagesLeaveEverySplitAndTheOriginalIsUnchanged()
    {
        var split = _dataset.WithHeldOutItems(1, seed: 1);

        Assert.All(split.Samples.Where(s => s.ItemId == "id_00000099"), s => Assert.Null(s.Split));
        Assert.Equal(EvaluationSplit.Query, _dataset.Samples.Single(s => s.ImagePath == "img/id_00000099/00_front.jpg").Split);
        Assert.Equal(_dataset.Samples.Count, split.Samples.Count);
    }

    [Fact]
    public void TheDrawDependsOnTheSeedOnly()
    {
        string Held(FashionDataset d) => string.Join(",", d.IndicesOf(EvaluationSplit.Query).Select(i => d.Samples[i].ItemId).Distinct());

        Assert.Equal(Held(_dataset.WithHeldOutItems(2, seed: 5)), Held(_dataset.WithHeldOutItems(2, seed: 5)));
        Assert.Contains(Enumerable.Range(0, 20), s => Held(_dataset.WithHeldOutItems(2, seed: s)) != Held(_dataset.WithHeldOutItems(2, seed: 5)));
    }

    [Fact]
    public void HoldingOutTooManyItemsNamesTheArgument()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => _dataset.WithHeldOutItems(4, seed: 1));
        Assert.Equal("itemCount", error.ParamName);
        Assert.Contains("5 items with at least two images", error.Message);
    }
}
