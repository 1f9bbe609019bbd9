using FashionNet.Data;
using FashionNet.Data.Annotations;

namespace FashionNet.Tests.Data.Annotations;

/// <summary><see cref="FashionDataset.WithLandmarksFrom"/>: landmarks of a subset read from another folder, attached by image path.</summary>
public sealed class LandmarksFromTests : IDisposable
{
    private const DeepFashionFormat InShop = DeepFashionFormat.InShop;
    private static readonly string[] Images = Fixtures.InShopImages;
    private readonly DatasetFolder _sample = new();
    private readonly DatasetFolder _annotated = new();

    /// <summary>The sample: the In-shop fixture without boxes or landmarks. The annotated set: its images 0 (train) and 2 (query).</summary>
    public LandmarksFromTests()
    {
        Fixtures.WriteInShop(_sample);
        File.Delete(_sample.PathOf(Fixtures.InShopBoxes));
        File.Delete(_sample.PathOf(Fixtures.InShopLandmarks));

        _annotated.Images([Images[0], Images[2]]);
        _annotated.WriteList(Fixtures.InShopPartition, "image_name item_id evaluation_status",
            [$"{Images[0]} id_00000002 train", $"{Images[2]} id_00000007 query"]);
        _annotated.WriteList(Fixtures.InShopBoxes, "image_name clothes_type pose_type x_1 y_1 x_2 y_2",
            [$"{Images[0]} 1 1 10 20 200 250", $"{Images[2]} 2 3 30 40 180 256"]);
        _annotated.WriteList(Fixtures.InShopLandmarks, "image_name clothes_type variation_type landmark_visibility_1 ...",
            [$"{Images[0]} 1 2 " + string.Join(" ", Enumerable.Range(0, 6).Select(k => $"0 {10 + k} {20 + k}")), $"{Images[2]} 2 1 0 1 2 1 3 4 2 5 6 0 7 8"]);
    }

    public void Dispose()
    {
        _sample.Dispose();
        _annotated.Dispose();
    }

    private FashionDataset Sample(bool categoriesFromPath = false) =>
        DeepFashionReader.Read(_sample.Root, InShop, new ReaderOptions { InShopCategoriesFromPath = categoriesFromPath });

    [Fact]
    public void AttachesLandmarksClothesAndVariationTypesButNotBoxes()
    {
        var sample = Sample();
        var annotated = _annotated.Read(InShop);

        var attached = sample.WithLandmarksFrom(annotated);

        Assert.Same(annotated.Samples[0].Landmarks, attached.Samples[0].Landmarks);
        Assert.Same(annotated.Samples[1].Landmarks, attached.Samples[2].Landmarks);
        Assert.Equal([ClothesType.Upper, null, ClothesType.Lower, null], attached.Samples.Select(s => s.ClothesType));
        Assert.Equal([2, null, 1, null], attached.Samples.Select(s => s.VariationType));
        Assert.Null(attached.Samples[1].Landmarks);
        Assert.Null(attached.Samples[3].Landmarks);
        // Boxes (and the pose types that come with them) stay behind: the sample's photos are framed whole.
        Assert.All(attached.Samples, s => Assert.True(s.BoundingBox is null && s.PoseType is null));
        Assert.NotNull(annotated.Samples[0].BoundingBox);
    }

    [Fact]
    public void EverythingElseIsTheSampleAsItWas()
    {
        var sample = Sample(categoriesFromPath: true);

        var attached = sample.WithLandmarksFrom(_annotated.Read(InShop));

        Assert.Equal(sample.Samples.Select(s => (s.ImagePath, s.ItemId, s.ItemIndex, s.Split, s.CategoryLabel, s.Attributes?.PositiveCount)),
            attached.Samples.Select(s => (s.ImagePath, s.ItemId, s.ItemIndex, s.Split, s.CategoryLabel, s.Attributes?.PositiveCount)));
        Assert.Same(sample.Items, attached.Items);
        Assert.Same(sample.Categories, attached.Categories);
        Assert.Same(sample.Attributes, attached.Attributes);
        Assert.Equal(sample.Root, attached.Root);
        Assert.True(attached.TryGetSample(Images[2], out var query));
        Assert.NotNull(query.Landmarks);
        Assert.All(sample.Samples, s => Assert.Null(s.Landmarks));
    }

    [Fact]
    public void TheAnnotatedClothesTypeReplacesTheCategorys()
    {
        var sample = Sample(categoriesFromPath: true);
        Assert.Equal(ClothesType.FullBody, sample.Samples[0].ClothesType); // Dresses

        var attached = sample.WithLandmarksFrom(_annotated.Read(InShop));

        // The annotation (upper body, 6 landmarks) fixes the slots; the category stays.
        Assert.Equal(ClothesType.Upper, attached.Samples[0].ClothesType);
        Assert.Equal(4, attached.Samples[0].CategoryLabel);
        Assert.Equal(ClothesType.FullBody, attached.Samples[1].ClothesType);
    }

    [Fact]
    public void AnImageMissingFromTheSampleIsRefused()
    {
        string stray = "img/WOMEN/Dresses/id_00000002/09_4_full.jpg";
        _annotated.Images([stray]);
        _annotated.AppendLine(Fixtures.InShopPartition, $"{stray} id_00000002 train");
        _annotated.ReplaceLine(Fixtures.InShopPartition, 1, "3");

        var error = Assert.Throws<ArgumentException>(() => Sample().WithLandmarksFrom(_annotated.Read(InShop)));

        Assert.Equal("annotated", error.ParamName);
        Assert.Contains($"1 image(s) of {_annotated.Root} are not in {_sample.Root} (the first: '{stray}')", error.Message);
    }

    [Fact]
    public void AnImageInAnotherSplitIsRefused()
    {
        _annotated.ReplaceLine(Fixtures.InShopPartition, 4, $"{Images[2]} id_00000007 gallery");

        var error = Assert.Throws<ArgumentException>(() => Sample().WithLandmarksFrom(_annotated.Read(InShop)));

        Assert.Contains($"'{Images[2]}' is in split 'gallery' in {_annotated.Root} but in 'query' in {_sample.Root}", error.Message);
    }

    [Fact]
    public void AnImageOfAnotherItemIsRefused()
    {
        _annotated.ReplaceLine(Fixtures.InShopPartition, 4, $"{Images[2]} id_00000009 query");

        var error = Assert.Throws<ArgumentException>(() => Sample().WithLandmarksFrom(_annotated.Read(InShop)));

        Assert.Contains($"'{Images[2]}' belongs to item 'id_00000009' in {_annotated.Root} but to 'id_00000007'", error.Message);
    }
}
