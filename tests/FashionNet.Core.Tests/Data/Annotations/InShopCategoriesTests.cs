using FashionNet.Data;
using FashionNet.Data.Annotations;

namespace FashionNet.Tests.Data.Annotations;

/// <summary><see cref="ReaderOptions.InShopCategoriesFromPath"/>: categories from <c>img/{MEN|WOMEN}/{Category}/...</c>.</summary>
public sealed class InShopCategoriesTests : IDisposable
{
    private const DeepFashionFormat InShop = DeepFashionFormat.InShop;
    private static readonly ReaderOptions FromPath = new() { InShopCategoriesFromPath = true };
    private readonly DatasetFolder _folder = new();

    public InShopCategoriesTests() => Fixtures.WriteInShop(_folder);

    public void Dispose() => _folder.Dispose();

    private FashionDataset Read(bool lenient = false) =>
        DeepFashionReader.Read(_folder.Root, InShop, FromPath with { Lenient = lenient });

    /// <summary>Rewrites the partition with these image paths (item = the path's 4th segment, all train) and their files.</summary>
    private void WritePartition(params string[] images)
    {
        _folder.Images(images);
        _folder.WriteList(Fixtures.InShopPartition, "image_name item_id evaluation_status", images.Select(i => $"{i} {i.Split('/')[3]} train"));
        foreach (string file in new[] { Fixtures.InShopItems, Fixtures.InShopBoxes, Fixtures.InShopLandmarks, Fixtures.ItemAttributes })
            File.Delete(_folder.PathOf(file));
    }

    [Fact]
    public void TheTableIsTheFixedSeventeenGarmentFoldersSortedOrdinally()
    {
        string[] expected =
        [
            "Blouses_Shirts", "Cardigans", "Denim", "Dresses", "Graphic_Tees", "Jackets_Coats", "Jackets_Vests", "Leggings", "Pants",
            "Rompers_Jumpsuits", "Shirts_Polos", "Shorts", "Skirts", "Suiting", "Sweaters", "Sweatshirts_Hoodies", "Tees_Tanks",
        ];
        Assert.Equal(expected, InShopCategories.All.Select(c => c.Name));
        Assert.Equal(expected.Order(StringComparer.Ordinal), expected);
        string[] lower = ["Denim", "Leggings", "Pants", "Shorts", "Skirts"], full = ["Dresses", "Rompers_Jumpsuits"];
        Assert.All(InShopCategories.All, c => Assert.Equal(
            lower.Contains(c.Name) ? ClothesType.Lower : full.Contains(c.Name) ? ClothesType.FullBody : ClothesType.Upper, c.Type));
    }

    [Fact]
    public void EachImageGetsItsFolderCategoryAndTheDatasetTheWholeTable()
    {
        var dataset = Read();

        // Two categories present, yet all 17 are the table: another set with other folders numbers them the same.
        Assert.Equal(InShopCategories.All, dataset.Categories);
        Assert.Equal([4, 4, 3, 3], dataset.Samples.Select(s => s.CategoryLabel!.Value));
        Assert.Equal(["Dresses", "Dresses", "Denim", "Denim"], dataset.Samples.Select(s => dataset.Categories[s.CategoryIndex!.Value].Name));
        // The rest of the read is as without the option.
        static object Rest(FashionSample s) => (s.ImagePath, s.ItemIndex, s.Split, s.ClothesType, s.BoundingBox, s.Landmarks?.PresenceMask);
        Assert.Equal(_folder.Read(InShop).Samples.Select(Rest), dataset.Samples.Select(Rest));
    }

    [Fact]
    public void GenderIsNotPartOfTheClass()
    {
        WritePartition("img/MEN/Denim/id_00000001/01_1_front.jpg", "img/WOMEN/Denim/id_00000002/01_1_front.jpg",
            "img/WOMEN/Tees_Tanks/id_00000003/01_1_front.jpg");

        var dataset = Read();

        Assert.Equal([3, 3, 17], dataset.Samples.Select(s => s.CategoryLabel!.Value));
    }

    [Fact]
    public void WithoutBoxesOrLandmarksTheClothesTypeIsTheCategorys()
    {
        WritePartition("img/WOMEN/Dresses/id_00000001/01_1_front.jpg", "img/MEN/Pants/id_00000002/01_1_front.jpg",
            "img/MEN/Sweaters/id_00000003/01_1_front.jpg");

        var dataset = Read();

        Assert.Equal([ClothesType.FullBody, ClothesType.Lower, ClothesType.Upper], dataset.Samples.Select(s => s.ClothesType!.Value));
        Assert.All(_folder.Read(InShop).Samples, s => Assert.Null(s.ClothesType));
    }

    [Fact]
    public void AnAnnotatedClothesTypeWinsOverTheCategorys()
    {
        // The Denim query image annotated as upper body (box and landmark file agree with each other).
        string upper = string.Join(" ", Enumerable.Repeat("0 1 2", 6));
        _folder.ReplaceLine(Fixtures.InShopBoxes, 5, $"{Fixtures.InShopImages[2]} 1 1 30 40 180 256");
        _folder.ReplaceLine(Fixtures.InShopLandmarks, 5, $"{Fixtures.InShopImages[2]} 1 1 {upper}");

        var dataset = Read();

        Assert.Equal(3, dataset.Samples[2].CategoryLabel); // Denim, a lower-body category
        Assert.Equal(ClothesType.Upper, dataset.Samples[2].ClothesType);
        Assert.Equal(6, dataset.Samples[2].Landmarks!.PresentCount);
        Assert.Equal(ClothesType.Lower, dataset.Samples[3].ClothesType);
    }

    [Theory]
    [InlineData("img/WOMEN/Hats/id_00000002/02_1_front.jpg", "unknown In-shop category folder 'Hats'")]
    [InlineData("img/WOMEN/dresses/id_00000002/02_1_front.jpg", "unknown In-shop category folder 'dresses'")]
    [InlineData("img/KIDS/Dresses/id_00000002/02_1_front.jpg", "does not follow the In-shop layout")]
    [InlineData("img/WOMEN/Dresses/02_1_front.jpg", "does not follow the In-shop layout")]
    [InlineData("images/WOMEN/Dresses/id_00000002/02_1_front.jpg", "does not follow the In-shop layout")]
    [InlineData("img/WOMEN/Dresses/id_00000002/extra/02_1_front.jpg", "does not follow the In-shop layout")]
    [InlineData("img/WOMEN//id_00000002/02_1_front.jpg", "does not follow the In-shop layout")]
    public void APathOutsideTheLayoutIsAnErrorOfItsPartitionRow(string image, string problem)
    {
        _folder.Images([image]);
        _folder.ReplaceLine(Fixtures.InShopPartition, 4, $"{image} id_00000002 train");

        var error = Assert.Throws<DeepFashionFormatException>(() => Read());

        Assert.Equal("list_eval_partition.txt", Path.GetFileName(error.File));
        Assert.Equal(4, error.Line);
        Assert.Contains(problem, error.Problem);
        Assert.Contains(image, error.Message);
        // Without the option the same folder reads (the box and landmark rows of the old path are gone with it).
        _folder.ReplaceLine(Fixtures.InShopBoxes, 4, $"{image} 3 2 11 21 201 251");
        _folder.ReplaceLine(Fixtures.InShopLandmarks, 4, $"{image} 3 1 " + string.Join(" ", Enumerable.Range(0, 8).Select(k => $"0 {50 + k} {60 + k}")));
        Assert.Equal(4, _folder.Read(InShop).Samples.Count);
    }

    [Fact]
    public void LenientReadingSkipsTheRowAndReportsIt()
    {
        _folder.Images(["img/WOMEN/Hats/id_00000002/02_2_side.jpg"]);
        _folder.ReplaceLine(Fixtures.InShopPartition, 4, "img/WOMEN/Hats/id_00000002/02_2_side.jpg id_00000002 train");

        var dataset = Read(lenient: true);

        Assert.Equal(3, dataset.Samples.Count);
        Assert.All(dataset.Samples, s => Assert.NotNull(s.CategoryLabel));
        var first = dataset.Report.Issues[0];
        Assert.Equal(("list_eval_partition.txt", 4), (Path.GetFileName(first.File), first.Line));
        Assert.Contains("unknown In-shop category folder 'Hats'", first.Problem);
        Assert.EndsWith("row skipped", first.Problem);
    }

    [Fact]
    public void OffByDefault()
    {
        var dataset = _folder.Read(InShop);

        Assert.Empty(dataset.Categories);
        Assert.All(dataset.Samples, s => Assert.Null(s.CategoryLabel));
    }

    [Fact]
    public void OtherFormatsRefuseTheOption()
    {
        using var category = new DatasetFolder();
        Fixtures.WriteCategoryAttribute(category);

        var error = Assert.Throws<ArgumentException>(() => DeepFashionReader.Read(category.Root, DeepFashionFormat.CategoryAttribute, FromPath));

        Assert.Equal("options", error.ParamName);
        Assert.Contains("InShopCategoriesFromPath", error.Message);
    }
}
