using FashionNet.Data;
using FashionNet.Data.Annotations;

namespace FashionNet.Tests.Data.Annotations;

public sealed class CategoryAttributeReaderTests : IDisposable
{
    private readonly DatasetFolder _folder = new();

    public CategoryAttributeReaderTests() => Fixtures.WriteCategoryAttribute(_folder);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void ReadsEveryFileIntoOneSamplePerImage()
    {
        var dataset = _folder.Read(DeepFashionFormat.CategoryAttribute);

        Assert.True(dataset.Report.IsClean);
        Assert.Equal(Fixtures.CategoryImages, dataset.Samples.Select(s => s.ImagePath));
        Assert.Equal([EvaluationSplit.Train, EvaluationSplit.Validation, EvaluationSplit.Test], dataset.Samples.Select(s => s.Split!.Value));
        Assert.Equal(new BoundingBox(5, 6, 100, 120), dataset.Samples[0].BoundingBox);
        Assert.Equal([ClothesType.Upper, ClothesType.Lower, ClothesType.FullBody], dataset.Samples.Select(s => s.ClothesType!.Value));
        Assert.Equal(4, dataset.Samples[2].VariationType);
        Assert.Null(dataset.Samples[0].ItemId);
        Assert.Empty(dataset.Items);
        Assert.Equal([1], dataset.IndicesOf(EvaluationSplit.Validation));
        Assert.True(dataset.TryGetSample("img/Dress/img_3.jpg", out var dress));
        Assert.Same(dataset.Samples[2], dress);
    }

    [Fact]
    public void CategoryLabelsAreOneBasedAndIndexTheNameTable()
    {
        var dataset = _folder.Read(DeepFashionFormat.CategoryAttribute);

        Assert.Equal([1, 2, 3], dataset.Samples.Select(s => s.CategoryLabel!.Value));
        Assert.Equal([0, 1, 2], dataset.Samples.Select(s => s.CategoryIndex!.Value));
        Assert.Equal(new CategoryInfo("Blouse", ClothesType.Upper), dataset.Categories[dataset.Samples[0].CategoryIndex!.Value]);
        Assert.Equal(new CategoryInfo("Dress", ClothesType.FullBody), dataset.Categories[dataset.Samples[2].CategoryIndex!.Value]);
    }

    [Fact]
    public void AttributeNamesMayContainSpacesAndTheTypeIsTheLastToken()
    {
        var dataset = _folder.Read(DeepFashionFormat.CategoryAttribute);

        Assert.Equal(
            [new AttributeInfo("a-line", 3), new AttributeInfo("floral print", 1), new AttributeInfo("peter pan collar", 4), new AttributeInfo("zip", 4)],
            dataset.Attributes);
    }

    [Fact]
    public void UnknownAttributesAreMasked()
    {
        var labels = _folder.Read(DeepFashionFormat.CategoryAttribute).Samples[0].Attributes!.Value;

        Assert.Equal(4, labels.Count);
        Assert.Equal([AttributeValue.Positive, AttributeValue.Negative, AttributeValue.Unknown, AttributeValue.Positive],
            Enumerable.Range(0, 4).Select(i => labels[i]));
        Assert.False(labels.IsKnown(2));
        Assert.Equal(2, labels.PositiveCount);
        var targets = new float[4];
        var mask = new float[4];
        labels.CopyTo(targets, mask);
        Assert.Equal([1f, 0f, 0f, 1f], targets);
        Assert.Equal([1f, 1f, 0f, 1f], mask);
    }

    [Fact]
    public void AttributeRowsStayWithTheirImages()
    {
        var samples = _folder.Read(DeepFashionFormat.CategoryAttribute).Samples;

        Assert.Equal(0, samples[1].Attributes!.Value.PositiveCount);
        Assert.True(samples[1].Attributes!.Value.IsKnown(3));
        Assert.Equal([AttributeValue.Unknown, AttributeValue.Positive, AttributeValue.Unknown, AttributeValue.Negative],
            Enumerable.Range(0, 4).Select(i => samples[2].Attributes!.Value[i]));
    }

    [Fact]
    public void UpperBodyRowFillsCollarSleeveAndHemSlots()
    {
        var landmarks = _folder.Read(DeepFashionFormat.CategoryAttribute).Samples[0].Landmarks!;

        Assert.Equal(6, landmarks.PresentCount);
        Assert.Equal(new Landmark(10, 11, LandmarkVisibility.Visible), landmarks[LandmarkSlot.LeftCollar]);
        Assert.Equal(new Landmark(20, 21, LandmarkVisibility.Occluded), landmarks[LandmarkSlot.RightCollar]);
        Assert.Equal(new Landmark(30, 31, LandmarkVisibility.Truncated), landmarks[LandmarkSlot.LeftSleeve]);
        Assert.Equal(new Landmark(40, 41, LandmarkVisibility.Visible), landmarks[LandmarkSlot.RightSleeve]);
        Assert.Equal(new Landmark(50, 51, LandmarkVisibility.Visible), landmarks[LandmarkSlot.LeftHem]);
        Assert.Equal(new Landmark(60, 61, LandmarkVisibility.Occluded), landmarks[LandmarkSlot.RightHem]);
        Assert.False(landmarks.IsPresent(LandmarkSlot.LeftWaistline));
        Assert.False(landmarks.IsPresent(LandmarkSlot.RightWaistline));
        Assert.Equal(LandmarkSet.Absent, landmarks[LandmarkSlot.LeftWaistline]);
    }

    [Fact]
    public void LowerBodyRowFillsWaistlineAndHemSlotsNeverTheFirstFour()
    {
        var landmarks = _folder.Read(DeepFashionFormat.CategoryAttribute).Samples[1].Landmarks!;

        Assert.Equal(4, landmarks.PresentCount);
        Assert.Equal(new Landmark(110, 111, LandmarkVisibility.Visible), landmarks[LandmarkSlot.LeftWaistline]);
        Assert.Equal(new Landmark(120, 121, LandmarkVisibility.Visible), landmarks[LandmarkSlot.RightWaistline]);
        Assert.Equal(new Landmark(130, 131, LandmarkVisibility.Occluded), landmarks[LandmarkSlot.LeftHem]);
        Assert.Equal(new Landmark(140, 141, LandmarkVisibility.Truncated), landmarks[LandmarkSlot.RightHem]);
        foreach (var slot in new[] { LandmarkSlot.LeftCollar, LandmarkSlot.RightCollar, LandmarkSlot.LeftSleeve, LandmarkSlot.RightSleeve })
        {
            Assert.False(landmarks.IsPresent(slot));
            Assert.Equal(LandmarkVisibility.Truncated, landmarks[slot].Visibility);
        }
    }

    [Fact]
    public void FullBodyRowFillsAllEightSlotsInOrder()
    {
        var landmarks = _folder.Read(DeepFashionFormat.CategoryAttribute).Samples[2].Landmarks!;

        Assert.Equal(0xFF, landmarks.PresenceMask);
        foreach (var slot in Enum.GetValues<LandmarkSlot>())
            Assert.Equal(new Landmark(200 + 10 * (int)slot, 201 + 10 * (int)slot, LandmarkVisibility.Visible), landmarks[slot]);
    }

    [Fact]
    public void CategoryAndLandmarkFilesAreOptional()
    {
        foreach (string file in new[] { Fixtures.CategoryNames, Fixtures.CategoryLabels, Fixtures.AttributeNames, Fixtures.ImageAttributes, Fixtures.CategoryBoxes, Fixtures.CategoryLandmarks })
            File.Delete(_folder.PathOf(file));

        var dataset = _folder.Read(DeepFashionFormat.CategoryAttribute);

        Assert.Equal(3, dataset.Samples.Count);
        Assert.All(dataset.Samples, s => Assert.True(s.CategoryLabel is null && s.Attributes is null && s.Landmarks is null && s.BoundingBox is null));
    }

    [Fact]
    public void WithoutAttributeNamesTheFirstRowFixesTheAttributeCount()
    {
        File.Delete(_folder.PathOf(Fixtures.AttributeNames));

        var dataset = _folder.Read(DeepFashionFormat.CategoryAttribute);

        Assert.Empty(dataset.Attributes);
        Assert.All(dataset.Samples, s => Assert.Equal(4, s.Attributes!.Value.Count));
    }

    [Fact]
    public void AcceptsAByteOrderMark()
    {
        _folder.Write(Fixtures.CategoryLabels, "\uFEFF" + File.ReadAllText(_folder.PathOf(Fixtures.CategoryLabels)));

        Assert.Equal(1, _folder.Read(DeepFashionFormat.CategoryAttribute).Samples[0].CategoryLabel);
    }

    [Fact]
    public void AcceptsWindowsLineEndingsAndTabs()
    {
        string text = File.ReadAllText(_folder.PathOf(Fixtures.CategoryPartition)).Replace("\n", "\r\n").Replace("   ", "\t");
        _folder.Write(Fixtures.CategoryPartition, text);

        Assert.Equal(3, _folder.Read(DeepFashionFormat.CategoryAttribute).Samples.Count);
    }
}
