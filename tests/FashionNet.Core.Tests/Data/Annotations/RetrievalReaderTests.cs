using FashionNet.Data;
using FashionNet.Data.Annotations;

namespace FashionNet.Tests.Data.Annotations;

public sealed class InShopReaderTests : IDisposable
{
    private const DeepFashionFormat InShop = DeepFashionFormat.InShop;
    private readonly DatasetFolder _folder = new();

    public InShopReaderTests() => Fixtures.WriteInShop(_folder);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void ReadsItemsSplitsBoxesLandmarksAndItemAttributes()
    {
        var dataset = _folder.Read(InShop);

        Assert.Equal(["id_00000002", "id_00000007", "id_00000009"], dataset.Items);
        Assert.Equal([0, 0, 1, 1], dataset.Samples.Select(s => s.ItemIndex!.Value));
        Assert.Equal(["id_00000002", "id_00000002", "id_00000007", "id_00000007"], dataset.Samples.Select(s => s.ItemId));
        Assert.Equal([EvaluationSplit.Train, EvaluationSplit.Train, EvaluationSplit.Query, EvaluationSplit.Gallery], dataset.Samples.Select(s => s.Split!.Value));
        Assert.Equal([1, 2, 1, 4], dataset.Samples.Select(s => s.PoseType!.Value));
        Assert.Equal(new BoundingBox(30, 40, 180, 256), dataset.Samples[2].BoundingBox);
        Assert.Equal(8, dataset.Samples[0].Landmarks!.PresentCount);

        var gallery = dataset.Samples[3].Landmarks!;
        Assert.Equal(new Landmark(3, 4, LandmarkVisibility.Occluded), gallery[LandmarkSlot.RightWaistline]);
        Assert.Equal(new Landmark(5, 6, LandmarkVisibility.Truncated), gallery[LandmarkSlot.LeftHem]);
        Assert.False(gallery.IsPresent(LandmarkSlot.LeftCollar));

        // Attributes are per item: both images of an item see the same labels.
        var first = dataset.Samples[0].Attributes!.Value;
        Assert.Equal([AttributeValue.Positive, AttributeValue.Negative, AttributeValue.Unknown], Enumerable.Range(0, 3).Select(i => first[i]));
        Assert.Equal(AttributeValue.Positive, dataset.Samples[3].Attributes!.Value[2]);
        // In-shop's attribute list has names only, no type column.
        Assert.Equal([new AttributeInfo("floral print", null), new AttributeInfo("sleeveless", null), new AttributeInfo("v neck", null)], dataset.Attributes);
    }

    [Fact]
    public void OnlyThePartitionIsRequired()
    {
        foreach (string file in new[] { Fixtures.InShopItems, Fixtures.InShopBoxes, Fixtures.InShopLandmarks, Fixtures.AttributeNames, Fixtures.ItemAttributes })
            File.Delete(_folder.PathOf(file));

        var dataset = _folder.Read(InShop);

        Assert.Equal(["id_00000002", "id_00000007"], dataset.Items);
        Assert.All(dataset.Samples, s => Assert.True(s.BoundingBox is null && s.Landmarks is null && s.Attributes is null && s.ClothesType is null));
    }

    [Fact]
    public void ItemMissingFromTheItemList()
    {
        _folder.ReplaceLine(Fixtures.InShopPartition, 6, $"{Fixtures.InShopImages[3]} id_00000008 gallery");
        _folder.ExpectError(InShop, Fixtures.InShopPartition, 6, "item 'id_00000008' is not in the item list file");
    }

    [Fact]
    public void ItemListCountMustMatchTheIds()
    {
        _folder.Write(Fixtures.InShopItems, "4\nid_00000002 id_00000007\nid_00000009\n");
        _folder.ExpectError(InShop, Fixtures.InShopItems, 1, "declares 4 items but the file lists 3");
    }

    [Fact]
    public void RetrievalStatusesOnly()
    {
        _folder.ReplaceLine(Fixtures.InShopPartition, 3, $"{Fixtures.InShopImages[0]} id_00000002 test");
        _folder.ExpectError(InShop, Fixtures.InShopPartition, 3, "unknown evaluation status 'test' (expected train, query, gallery)");
    }

    [Fact]
    public void BoxAndLandmarkClothesTypesMustAgree()
    {
        _folder.ReplaceLine(Fixtures.InShopLandmarks, 5, $"{Fixtures.InShopImages[2]} 1 1 " + string.Join(" ", Enumerable.Repeat("0 1 2", 6)));
        _folder.ExpectError(InShop, Fixtures.InShopLandmarks, 5, "clothes type 1 disagrees with clothes type 2 in list_bbox_inshop.txt");
    }

    [Fact]
    public void LenientSkipOfARowWithAnUnlistedItemLeavesNoTrace()
    {
        _folder.ReplaceLine(Fixtures.InShopPartition, 6, $"{Fixtures.InShopImages[3]} id_00000008 gallery");

        var dataset = _folder.Read(InShop, lenient: true);

        Assert.Equal(3, dataset.Samples.Count);
        Assert.Equal(3, dataset.Items.Count);
        Assert.DoesNotContain("id_00000008", dataset.Items);
        // Its box and landmark rows cannot be placed either; each skip is reported.
        Assert.Equal([("list_eval_partition.txt", 6), ("list_bbox_inshop.txt", 6), ("list_landmarks_inshop.txt", 6)],
            dataset.Report.Issues.Select(i => (Path.GetFileName(i.File), i.Line)));
    }

    [Fact]
    public void AttributesForAnItemWithoutImages()
    {
        _folder.ReplaceLine(Fixtures.ItemAttributes, 4, "id_00000042 -1 0 1");
        _folder.ExpectError(InShop, Fixtures.ItemAttributes, 4, "item 'id_00000042' has no images in the partition");
    }
}

public sealed class ConsumerToShopReaderTests : IDisposable
{
    private const DeepFashionFormat ConsumerToShop = DeepFashionFormat.ConsumerToShop;
    private readonly DatasetFolder _folder = new();

    public ConsumerToShopReaderTests() => Fixtures.WriteConsumerToShop(_folder);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void ReadsPairsWithOneSamplePerImage()
    {
        var dataset = _folder.Read(ConsumerToShop);

        Assert.Equal(5, dataset.Samples.Count);
        Assert.Equal(3, dataset.Pairs.Count);
        var shop = dataset.Samples[dataset.Pairs[0].ShopIndex];
        Assert.Equal("img/CLOTHING/Dress/id_00000001/shop_01.jpg", shop.ImagePath);
        Assert.Equal(ImageSource.Shop, shop.Source);
        Assert.Equal(dataset.Pairs[0].ShopIndex, dataset.Pairs[1].ShopIndex);
        Assert.Equal(ImageSource.Consumer, dataset.Samples[dataset.Pairs[1].ConsumerIndex].Source);
        Assert.Equal(EvaluationSplit.Test, dataset.Pairs[2].Split);
        Assert.Equal("id_00000002", dataset.Items[dataset.Pairs[2].ItemIndex]);
        Assert.Equal(EvaluationSplit.Test, dataset.Samples[dataset.Pairs[2].ConsumerIndex].Split);
        Assert.Equal(new BoundingBox(3, 4, 150, 250), shop.BoundingBox);
        Assert.Equal(ClothesType.FullBody, shop.ClothesType);
        Assert.Equal(AttributeValue.Positive, shop.Attributes!.Value[0]);
        Assert.Equal(AttributeValue.Unknown, shop.Attributes!.Value[1]);
        Assert.Equal([new AttributeInfo("碎花 floral print", 1), new AttributeInfo("无袖 sleeveless", 3)], dataset.Attributes);
    }

    [Fact]
    public void SourceTypeMustAgreeWithThePairRole()
    {
        _folder.ReplaceLine(Fixtures.PairBoxes, 3, "img/CLOTHING/Dress/id_00000001/comsumer_01.jpg 3 1 1 2 100 200");
        _folder.ExpectError(ConsumerToShop, Fixtures.PairBoxes, 3, "source_type 1 (Shop) disagrees with the partition");
    }

    [Fact]
    public void AnImageCannotBeBothConsumerAndShop()
    {
        _folder.AppendLine(Fixtures.PairPartition,
            "img/CLOTHING/Dress/id_00000001/shop_01.jpg img/CLOTHING/Dress/id_00000001/comsumer_02.jpg id_00000001 train");
        _folder.ReplaceLine(Fixtures.PairPartition, 1, "4");
        _folder.ExpectError(ConsumerToShop, Fixtures.PairPartition, 6, "is a shop image on line 3 and a consumer image here");
    }

    [Fact]
    public void DuplicatePair()
    {
        _folder.AppendLine(Fixtures.PairPartition,
            "img/TOPS/Tee/id_00000002/comsumer_01.jpg img/TOPS/Tee/id_00000002/shop_01.jpg id_00000002 test");
        _folder.ReplaceLine(Fixtures.PairPartition, 1, "4");
        _folder.ExpectError(ConsumerToShop, Fixtures.PairPartition, 6, "duplicate pair");
    }

    [Fact]
    public void AnImageKeepsOneItemAndSplit()
    {
        _folder.ReplaceLine(Fixtures.PairPartition, 4,
            "img/CLOTHING/Dress/id_00000001/comsumer_02.jpg img/CLOTHING/Dress/id_00000001/shop_01.jpg id_00000001 val");
        _folder.ExpectError(ConsumerToShop, Fixtures.PairPartition, 4, "is in split 'train' on line 3 and in 'val' here");
    }

    [Fact]
    public void LenientSkipOfAConflictingPairAddsNoItemOrImage()
    {
        _folder.AppendLine(Fixtures.PairPartition,
            "img/TOPS/Tee/id_00000003/comsumer_01.jpg img/CLOTHING/Dress/id_00000001/shop_01.jpg id_00000003 train");
        _folder.ReplaceLine(Fixtures.PairPartition, 1, "4");

        var dataset = _folder.Read(ConsumerToShop, lenient: true);

        Assert.Equal(5, dataset.Samples.Count);
        Assert.Equal(["id_00000001", "id_00000002"], dataset.Items);
        var issue = Assert.Single(dataset.Report.Issues);
        Assert.Contains("belongs to item 'id_00000001' on line 3 and to item 'id_00000003' here", issue.Problem);
    }

    [Fact]
    public void LenientDropsAMissingImageWithItsPairs()
    {
        File.Delete(_folder.PathOf("img/CLOTHING/Dress/id_00000001/shop_01.jpg"));

        var dataset = _folder.Read(ConsumerToShop, lenient: true);

        Assert.Equal(4, dataset.Samples.Count);
        var pair = Assert.Single(dataset.Pairs);
        Assert.Equal("img/TOPS/Tee/id_00000002/shop_01.jpg", dataset.Samples[pair.ShopIndex].ImagePath);
        Assert.Contains("sample and its pairs dropped", Assert.Single(dataset.Report.Issues).Problem);
    }
}
