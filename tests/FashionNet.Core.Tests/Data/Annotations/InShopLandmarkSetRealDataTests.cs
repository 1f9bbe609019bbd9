using FashionNet.Data;
using FashionNet.Data.Annotations;
using FashionNet.Data.Synthetic;
using FashionNet.Tests.TestSupport;

namespace FashionNet.Tests.Data.Annotations;

/// <summary>
/// Categories from paths, attached landmarks and concatenation on the real In-shop sample and its landmark set in
/// ../shared/data (skipped, saying so, when absent).
/// </summary>
public sealed class InShopLandmarkSetRealDataTests
{
    private const string LandmarkSet = "deepfashion-inshop-landmarks";
    private static readonly ReaderOptions FromPath = new() { InShopCategoriesFromPath = true };

    [SkippableFact]
    public void SampleCategoriesAreItsGarmentFoldersWithTheirClothesTypes()
    {
        string root = SharedData.Require(SharedData.InShopSample);

        var dataset = DeepFashionReader.Read(root, DeepFashionFormat.InShop, FromPath);

        Assert.True(dataset.Report.IsClean);
        Assert.Equal(InShopCategories.All, dataset.Categories);
        // The fixed table holds every garment folder of both genders, and the labels are those folders.
        var folders = new[] { "MEN", "WOMEN" }.SelectMany(g => Directory.GetDirectories(Path.Combine(root, "img", g))).Select(d => Path.GetFileName(d)!).ToHashSet();
        Assert.Subset(InShopCategories.All.Select(c => c.Name).ToHashSet(), folders);
        var used = dataset.Samples.Select(s => dataset.Categories[s.CategoryIndex!.Value].Name).ToHashSet();
        Assert.Equal(folders, used);
        Assert.InRange(used.Count, 2, 17);
        Assert.All(dataset.Samples, s => Assert.Equal(s.ImagePath.Split('/')[2], dataset.Categories[s.CategoryIndex!.Value].Name));
        // No box or landmark file: every clothes type is its category's, and all three occur.
        Assert.All(dataset.Samples, s => Assert.Equal(dataset.Categories[s.CategoryIndex!.Value].Type, s.ClothesType));
        Assert.Equal(Enum.GetValues<ClothesType>(), dataset.Samples.Select(s => s.ClothesType!.Value).Distinct().Order());
    }

    [SkippableFact]
    public void TheLandmarkSetAttachesToTheSample()
    {
        var sample = DeepFashionReader.Read(SharedData.Require(SharedData.InShopSample), DeepFashionFormat.InShop);
        var landmarks = DeepFashionReader.Read(SharedData.Require(LandmarkSet), DeepFashionFormat.InShop);

        var attached = sample.WithLandmarksFrom(landmarks);

        var withLandmarks = attached.Samples.Where(s => s.Landmarks is not null).ToList();
        Assert.Equal(2_822, withLandmarks.Count(s => s.Split == EvaluationSplit.Train));
        Assert.Equal(1_568, withLandmarks.Count(s => s.Split == EvaluationSplit.Query));
        Assert.Equal(1_391, withLandmarks.Count(s => s.Split == EvaluationSplit.Gallery));
        Assert.All(landmarks.Samples, s => Assert.True(attached.TryGetSample(s.ImagePath, out var target) && ReferenceEquals(s.Landmarks, target.Landmarks)));
        Assert.All(attached.Samples, s => Assert.Null(s.BoundingBox));
        Assert.Equal(sample.Samples.Count, attached.Samples.Count);
    }

    [SkippableFact]
    public void TheLandmarkSetAgreesWithTheSampleOnEveryCategory()
    {
        var sample = DeepFashionReader.Read(SharedData.Require(SharedData.InShopSample), DeepFashionFormat.InShop, FromPath);
        var landmarks = DeepFashionReader.Read(SharedData.Require(LandmarkSet), DeepFashionFormat.InShop, FromPath);

        Assert.Equal(5_781, landmarks.Samples.Count);
        Assert.All(landmarks.Samples, s =>
        {
            Assert.True(sample.TryGetSample(s.ImagePath, out var same));
            Assert.Equal(same.CategoryLabel, s.CategoryLabel);
            // The derived landmarks' clothes type is the category's on every photo of the set.
            Assert.Equal(landmarks.Categories[s.CategoryIndex!.Value].Type, s.ClothesType);
        });
    }

    [SkippableFact]
    public void LandmarkPhotosAndTheSyntheticSetMakeOneStageOneSet()
    {
        var real = DeepFashionReader.Read(SharedData.Require(LandmarkSet), DeepFashionFormat.InShop, FromPath);
        string directory = Directory.CreateTempSubdirectory("fashionnet-concat-").FullName;
        try
        {
            var set = SyntheticDataset.Generate(new SyntheticDatasetOptions { Items = 6, ViewsPerItem = 2, ImageSize = 32, Seed = 5 });
            var synthetic = DeepFashionReader.Read(SyntheticDatasetWriter.Write(set, Path.Combine(directory, "synthetic")).InShop, DeepFashionFormat.InShop);

            var stage1 = FashionDataset.Concat(real, synthetic);

            Assert.Equal(2_822 + synthetic.IndicesOf(EvaluationSplit.Train).Count, stage1.IndicesOf(EvaluationSplit.Train).Count);
            Assert.All(stage1.Samples, s => Assert.True(s.Landmarks is not null && File.Exists(stage1.ImageFullPath(s))));
            Assert.Equal(real.Samples.Select(s => s.CategoryLabel), stage1.Samples.Take(real.Samples.Count).Select(s => s.CategoryLabel));
            Assert.Equal(real.Items.Count + synthetic.Items.Count, stage1.Items.Distinct().Count());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
