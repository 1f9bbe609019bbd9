using FashionNet.Data;
using FashionNet.Data.Annotations;
using FashionNet.Data.Synthetic;

namespace FashionNet.Tests.Data.Annotations;

/// <summary><see cref="FashionDataset.Concat"/>: two sets (for instance real photos and the synthetic set) as one.</summary>
public sealed class ConcatTests : IDisposable
{
    private const DeepFashionFormat InShop = DeepFashionFormat.InShop;
    private static readonly ReaderOptions FromPath = new() { InShopCategoriesFromPath = true };
    private readonly DatasetFolder _real = new();
    private readonly DatasetFolder _other = new();
    private readonly FashionDataset _synthetic;

    /// <summary>Two copies of the In-shop fixture (same relative paths, same item ids) and a small synthetic set in a third folder.</summary>
    public ConcatTests()
    {
        Fixtures.WriteInShop(_real);
        Fixtures.WriteInShop(_other);
        var set = SyntheticDataset.Generate(new SyntheticDatasetOptions { Items = 4, ViewsPerItem = 2, ImageSize = 32, Seed = 3 });
        _synthetic = DeepFashionReader.Read(SyntheticDatasetWriter.Write(set, Path.Combine(_other.Root, "synthetic")).InShop, InShop);
    }

    public void Dispose()
    {
        _real.Dispose();
        _other.Dispose();
    }

    private FashionDataset Real(DatasetFolder folder, bool categories = true) =>
        DeepFashionReader.Read(folder.Root, InShop, categories ? FromPath : ReaderOptions.Strict);

    private void DeleteAttributes(DatasetFolder folder)
    {
        File.Delete(folder.PathOf(Fixtures.AttributeNames));
        File.Delete(folder.PathOf(Fixtures.ItemAttributes));
    }

    [Fact]
    public void KeepsEverySampleInOrderWithAbsolutePathsThatStillFindTheFiles()
    {
        var real = Real(_real);

        var both = FashionDataset.Concat(real, _synthetic);

        Assert.Equal(real.Samples.Count + _synthetic.Samples.Count, both.Samples.Count);
        var originals = real.Samples.Select(real.ImageFullPath).Concat(_synthetic.Samples.Select(_synthetic.ImageFullPath)).ToList();
        Assert.Equal(originals, both.Samples.Select(both.ImageFullPath));
        Assert.All(both.Samples, s => Assert.True(Path.IsPathFullyQualified(s.ImagePath) && File.Exists(both.ImageFullPath(s))));
        Assert.Equal(real.Samples.Select(s => s.Split).Concat(_synthetic.Samples.Select(s => s.Split)), both.Samples.Select(s => s.Split));
        Assert.True(both.TryGetSample(originals[^1], out var last));
        Assert.Same(both.Samples[^1], last);
        Assert.True(both.HasItems);
    }

    [Fact]
    public void TheRootIsTheDeepestFolderHoldingBothRoots()
    {
        Assert.Equal(Path.GetDirectoryName(_real.Root), FashionDataset.Concat(Real(_real), Real(_other)).Root);
        Assert.Equal(_other.Root, FashionDataset.Concat(Real(_other), _synthetic).Root);
        Assert.Equal(_real.Root, FashionDataset.Concat(Real(_real)).Root);
    }

    [Fact]
    public void ItemIdsOfTwoSetsNeverCollide()
    {
        var first = Real(_real);
        var second = Real(_other);

        var both = FashionDataset.Concat(first, second);

        Assert.Equal(["0:id_00000002", "0:id_00000007", "0:id_00000009", "1:id_00000002", "1:id_00000007", "1:id_00000009"], both.Items);
        Assert.Equal([0, 0, 1, 1, 3, 3, 4, 4], both.Samples.Select(s => s.ItemIndex!.Value));
        Assert.All(both.Samples, s => Assert.Equal(both.Items[s.ItemIndex!.Value], s.ItemId));
    }

    [Fact]
    public void CategoriesFormOneTableWithTheSecondSetsLabelsShifted()
    {
        var both = FashionDataset.Concat(Real(_real), Real(_other));

        Assert.Equal(InShopCategories.All.Concat(InShopCategories.All), both.Categories);
        Assert.Equal([4, 4, 3, 3, 21, 21, 20, 20], both.Samples.Select(s => s.CategoryLabel!.Value));
        Assert.All(both.Samples, s => Assert.Contains(both.Categories[s.CategoryIndex!.Value].Name, s.ImagePath));
    }

    [Fact]
    public void ASetWithoutCategoriesAddsNoClasses()
    {
        var both = FashionDataset.Concat(Real(_real), _synthetic);

        Assert.Equal(InShopCategories.All, both.Categories);
        Assert.All(both.Samples.Skip(4), s => Assert.Null(s.CategoryLabel));
    }

    [Fact]
    public void AttributesOfTheOnlySetWithThemAreKept()
    {
        DeleteAttributes(_real);

        var both = FashionDataset.Concat(Real(_real), _synthetic);

        Assert.Equal(_synthetic.Attributes, both.Attributes);
        Assert.Equal(_synthetic.AttributeCount, both.AttributeCount);
        Assert.All(both.Samples.Take(4), s => Assert.Null(s.Attributes));
        Assert.Equal(_synthetic.Samples.Select(s => s.Attributes!.Value.PositiveCount), both.Samples.Skip(4).Select(s => s.Attributes!.Value.PositiveCount));
    }

    [Fact]
    public void AttributesOfSetsWithTheSameTableAreKept()
    {
        var both = FashionDataset.Concat(Real(_real), Real(_other));

        Assert.Equal(3, both.AttributeCount);
        Assert.All(both.Samples, s => Assert.Equal(3, s.Attributes!.Value.Count));
        Assert.Equal(AttributeValue.Positive, both.Samples[4].Attributes!.Value[0]);
    }

    [Fact]
    public void AttributesOfSetsWithDifferentTablesAreDropped()
    {
        _other.WriteList(Fixtures.AttributeNames, "attribute_name", ["floral print", "sleeveless", "crew neck"]);

        var both = FashionDataset.Concat(Real(_real), Real(_other));

        Assert.Empty(both.Attributes);
        Assert.Equal(0, both.AttributeCount);
        Assert.All(both.Samples, s => Assert.Null(s.Attributes));
        Assert.All(FashionDataset.Concat(Real(_real), _synthetic).Samples, s => Assert.Null(s.Attributes));
    }

    [Fact]
    public void ParseReportsAreJoined()
    {
        _other.ReplaceLine(Fixtures.InShopBoxes, 3, $"{Fixtures.InShopImages[0]} 3 1 10 20 5 250");
        var lenient = DeepFashionReader.Read(_other.Root, InShop, new ReaderOptions { Lenient = true });

        var both = FashionDataset.Concat(Real(_real, categories: false), lenient);

        Assert.Equal(lenient.Report.Issues, both.Report.Issues);
        Assert.Single(both.Report.Issues);
    }

    [Fact]
    public void TheSameImageTwiceIsRefused()
    {
        var real = Real(_real);

        var error = Assert.Throws<ArgumentException>(() => FashionDataset.Concat(real, real));

        Assert.Contains($"Image '{Path.Combine(_real.Root, Fixtures.InShopImages[0])}' is in two of the datasets", error.Message);
    }

    [Fact]
    public void DifferentFormatsAreRefused()
    {
        using var category = new DatasetFolder();
        Fixtures.WriteCategoryAttribute(category);

        var error = Assert.Throws<ArgumentException>(() => FashionDataset.Concat(Real(_real), category.Read(DeepFashionFormat.CategoryAttribute)));

        Assert.Contains("is in the CategoryAttribute format and the first dataset in InShop", error.Message);
    }

    [Fact]
    public void PairsAreRefused()
    {
        using var first = new DatasetFolder();
        using var second = new DatasetFolder();
        Fixtures.WriteConsumerToShop(first);
        Fixtures.WriteConsumerToShop(second);

        var error = Assert.Throws<ArgumentException>(() => FashionDataset.Concat(
            first.Read(DeepFashionFormat.ConsumerToShop), second.Read(DeepFashionFormat.ConsumerToShop)));

        Assert.Contains("has Consumer-to-shop pairs", error.Message);
    }

    [Fact]
    public void CategoryLabelsWithoutNamesAreRefused()
    {
        using var first = new DatasetFolder();
        using var second = new DatasetFolder();
        foreach (var folder in new[] { first, second })
        {
            Fixtures.WriteCategoryAttribute(folder);
            File.Delete(folder.PathOf(Fixtures.CategoryNames));
        }

        var error = Assert.Throws<ArgumentException>(() => FashionDataset.Concat(
            first.Read(DeepFashionFormat.CategoryAttribute), second.Read(DeepFashionFormat.CategoryAttribute)));

        Assert.Contains("has category labels up to 3 but 0 category names", error.Message);
    }

    [Fact]
    public void NoDatasetIsRefused() =>
        Assert.Equal("datasets", Assert.Throws<ArgumentException>(() => FashionDataset.Concat()).ParamName);

    [Fact]
    public void LandmarksOnlyKeepsTheTrainingImagesLandmarksAndDropsEveryOtherLabel()
    {
        var real = Real(_real);
        Assert.True(real.HasItems && real.Categories.Count > 0 && real.Attributes.Count > 0, "the fixture should carry every label");

        var only = real.LandmarksOnly();

        Assert.Equal(real.Samples.Count, only.Samples.Count);
        Assert.Empty(only.Items);
        Assert.Empty(only.Categories);
        Assert.Empty(only.Attributes);
        Assert.False(only.HasItems);
        for (int i = 0; i < real.Samples.Count; i++)
        {
            var (before, after) = (real.Samples[i], only.Samples[i]);
            Assert.Equal(before.ImagePath, after.ImagePath);
            Assert.Equal(before.Landmarks, after.Landmarks);
            Assert.Equal(before.ClothesType, after.ClothesType);
            Assert.True(after.ItemId is null && after.ItemIndex is null && after.CategoryLabel is null && after.Attributes is null);
            // The fixture's query and gallery images have landmarks too: they leave every split all the same.
            Assert.Equal(before.Split == EvaluationSplit.Train ? EvaluationSplit.Train : null, after.Split);
        }
        Assert.Equal(real.IndicesOf(EvaluationSplit.Train), only.IndicesOf(EvaluationSplit.Train));

        // After a retrieval set, the items, classes and held-out images are that set's alone.
        var mixed = FashionDataset.Concat(_synthetic, only);
        Assert.Equal(_synthetic.Items.Count, mixed.Items.Count);
        Assert.Equal(_synthetic.Categories, mixed.Categories);
        Assert.Equal(_synthetic.IndicesOf(EvaluationSplit.Query), mixed.IndicesOf(EvaluationSplit.Query));
        Assert.Equal(_synthetic.IndicesOf(EvaluationSplit.Gallery), mixed.IndicesOf(EvaluationSplit.Gallery));
    }

    [Fact]
    public void LandmarksOnlyRefusesASetWithoutTrainingLandmarksNamingIt()
    {
        File.Delete(_real.PathOf(Fixtures.InShopLandmarks));
        var real = Real(_real);

        var error = Assert.Throws<ArgumentException>(() => real.LandmarksOnly());

        Assert.Contains(real.Root, error.Message);
    }
}
