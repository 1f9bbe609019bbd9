using FashionNet.Data;
using FashionNet.Data.Annotations;
using FashionNet.Data.Synthetic;

namespace FashionNet.Tests.Data.Synthetic;

/// <summary>The synthetic writer and the DeepFashion readers agree on every format, strictly.</summary>
public sealed class SyntheticRoundTripTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fashionnet-synth-rt-").FullName;
    private readonly SyntheticDataset _set = SyntheticDataset.Generate(new SyntheticDatasetOptions { Items = 16, ViewsPerItem = 3, ImageSize = 64, Seed = 11 });
    private readonly SyntheticDatasetLayout _layout;

    public SyntheticRoundTripTests() => _layout = SyntheticDatasetWriter.Write(_set, Path.Combine(_dir, "set"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void AssertSameLandmarks(LandmarkSet expected, LandmarkSet? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.PresenceMask, actual.PresenceMask);
        Assert.Equal(expected.Slots.ToArray(), actual.Slots.ToArray());
    }

    [Fact]
    public void In_shop_reads_back_strictly()
    {
        FashionDataset read = DeepFashionReader.Read(_layout.InShop, DeepFashionFormat.InShop);
        Assert.True(read.Report.IsClean);
        Assert.Equal(_set.Items.Select(i => i.ItemId), read.Items);
        Assert.Equal(_set.Views.Count, read.Samples.Count);
        Assert.Equal(GarmentCatalog.Attributes.Select(a => (a.Name, (int?)null)), read.Attributes.Select(a => (a.Name, a.Type)));
        for (int i = 0; i < _set.Views.Count; i++)
        {
            SyntheticView view = _set.Views[i];
            FashionSample sample = read.Samples[i];
            Assert.Equal(view.ImageName, sample.ImagePath);
            Assert.Equal(view.Item.ItemId, sample.ItemId);
            Assert.Equal(view.Item.Index, sample.ItemIndex);
            Assert.Equal(view.InShopStatus, sample.Split!.Value.ToFileToken());
            Assert.Equal(view.Item.Category.ClothesType, sample.ClothesType);
            Assert.Equal(view.PoseType, sample.PoseType);
            Assert.Equal(view.VariationType, sample.VariationType);
            Assert.Equal(view.Box, sample.BoundingBox);
            AssertSameLandmarks(view.Landmarks, sample.Landmarks);
            AttributeLabels labels = sample.Attributes!.Value;
            Assert.Equal(view.Item.Attributes.Select(a => (AttributeValue)a), Enumerable.Range(0, labels.Count).Select(k => labels[k]));
        }
    }

    [Fact]
    public void Category_and_attribute_reads_back_strictly()
    {
        FashionDataset read = DeepFashionReader.Read(_layout.CategoryAndAttribute, DeepFashionFormat.CategoryAttribute);
        Assert.Equal(GarmentCatalog.Categories.Select(c => (c.Name, c.ClothesType)), read.Categories.Select(c => (c.Name, c.Type)));
        Assert.Equal(GarmentCatalog.Attributes.Select(a => (a.Name, (int?)a.Type)), read.Attributes.Select(a => (a.Name, a.Type)));
        for (int i = 0; i < _set.Views.Count; i++)
        {
            SyntheticView view = _set.Views[i];
            FashionSample sample = read.Samples[i];
            Assert.Equal(view.ImageName, sample.ImagePath);
            Assert.Equal(view.Item.CategoryLabel, sample.CategoryLabel);
            Assert.Equal(view.Item.Split, sample.Split!.Value.ToFileToken());
            AssertSameLandmarks(view.Landmarks, sample.Landmarks);
            AttributeLabels labels = sample.Attributes!.Value;
            Assert.All(Enumerable.Range(0, labels.Count), k => Assert.Equal(view.Item.Attributes[k] == 1, labels[k] == AttributeValue.Positive));
        }
    }

    [Fact]
    public void Landmark_detection_reads_back_strictly()
    {
        FashionDataset read = DeepFashionReader.Read(_layout.LandmarkDetection, DeepFashionFormat.Landmarks);
        Assert.Equal(_set.Views.Count, read.Samples.Count);
        for (int i = 0; i < _set.Views.Count; i++)
        {
            Assert.Equal(_set.Views[i].ImageName, read.Samples[i].ImagePath);
            AssertSameLandmarks(_set.Views[i].Landmarks, read.Samples[i].Landmarks);
            Assert.Equal(_set.Views[i].Box.X2, read.Samples[i].BoundingBox!.Value.X2);
        }
    }
}
