using FashionNet.Data;
using FashionNet.Data.Annotations;
using FashionNet.Tests.TestSupport;

namespace FashionNet.Tests.Data.Annotations;

/// <summary>The readers on the real sets in ../shared/data (skipped, saying so, when absent).</summary>
public sealed class RealDataTests
{
    [SkippableFact]
    public void InShopSampleHasTheDocumentedSplit()
    {
        string root = SharedData.Require(SharedData.InShopSample);

        var dataset = DeepFashionReader.Read(root, DeepFashionFormat.InShop);

        Assert.True(dataset.Report.IsClean);
        Assert.Equal(13_076, dataset.Samples.Count);
        Assert.Equal(2_024, dataset.Items.Count);
        Assert.Equal(6_542, dataset.IndicesOf(EvaluationSplit.Train).Count);
        Assert.Equal(3_461, dataset.IndicesOf(EvaluationSplit.Query).Count);
        Assert.Equal(3_073, dataset.IndicesOf(EvaluationSplit.Gallery).Count);
        var trainItems = dataset.Samples.Where(s => s.Split == EvaluationSplit.Train).Select(s => s.ItemIndex!.Value).ToHashSet();
        var testItems = dataset.Samples.Where(s => s.Split != EvaluationSplit.Train).Select(s => s.ItemIndex!.Value).ToHashSet();
        Assert.Equal(1_007, trainItems.Count);
        Assert.Equal(1_017, testItems.Count);
        Assert.False(trainItems.Overlaps(testItems));
    }

    [SkippableFact]
    public void LandmarksRobotRowsHaveSixOrFourLandmarksInTheirSlots()
    {
        string root = SharedData.Require(SharedData.LandmarksRobot);

        var dataset = DeepFashionReader.Read(root, DeepFashionFormat.Landmarks);

        Assert.True(dataset.Report.IsClean);
        Assert.Equal(117, dataset.Samples.Count);
        Assert.All(dataset.Samples, sample =>
        {
            var landmarks = sample.Landmarks!;
            Assert.Equal(sample.ClothesType == ClothesType.Upper ? 6 : 4, landmarks.PresentCount);
            Assert.All(LandmarkLayout.SlotsOf(sample.ClothesType!.Value), slot => Assert.True(landmarks.IsPresent(slot)));
            Assert.NotNull(sample.BoundingBox);
            Assert.Contains(sample.CategoryLabel!.Value, new[] { 10, 15, 16, 17, 25 });
        });
        Assert.Contains(dataset.Samples, s => s.ClothesType == ClothesType.Upper);
        Assert.Contains(dataset.Samples, s => s.ClothesType == ClothesType.Lower);
    }
}
