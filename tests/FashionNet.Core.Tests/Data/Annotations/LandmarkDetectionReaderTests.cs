using FashionNet.Data;
using FashionNet.Data.Annotations;

namespace FashionNet.Tests.Data.Annotations;

public sealed class LandmarkDetectionReaderTests : IDisposable
{
    private const DeepFashionFormat Landmarks = DeepFashionFormat.Landmarks;
    private readonly DatasetFolder _folder = new();

    public LandmarkDetectionReaderTests()
    {
        _folder.Images(["img/img_00000001.jpg", "img/img_00000002.jpg"]);
        _folder.WriteList("list_landmarks.txt", "image_name clothes_type variation_type landmark_visibility_1 ...",
            ["img/img_00000001.jpg 1 2 0 1 2 0 3 4 0 5 6 0 7 8 1 9 10 2 11 12", "img/img_00000002.jpg 2 1 0 1 2 0 3 4 0 5 6 0 7 8"]);
        _folder.WriteList("list_bbox.txt", "image_name x_1 y_1 x_2 y_2", ["img/img_00000001.jpg 1 2 30 40", "img/img_00000002.jpg 5 6 70 80"]);
        _folder.WriteList("list_eval_partition.txt", "image_name evaluation_status", ["img/img_00000001.jpg train", "img/img_00000002.jpg test"]);
    }

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LandmarkFileDeclaresTheImagesAtTheRootOrInAnno(bool officialFolders)
    {
        if (officialFolders)
        {
            // The published layout: Anno/ for the lists, Eval/ for the partition; nothing left at the root.
            foreach (var (name, folder) in new[] { ("list_landmarks.txt", "Anno"), ("list_bbox.txt", "Anno"), ("list_eval_partition.txt", "Eval") })
            {
                Directory.CreateDirectory(_folder.PathOf(folder));
                File.Move(_folder.PathOf(name), _folder.PathOf(Path.Combine(folder, name)));
            }
        }

        var dataset = _folder.Read(Landmarks);

        Assert.Equal(2, dataset.Samples.Count);
        Assert.Equal([EvaluationSplit.Train, EvaluationSplit.Test], dataset.Samples.Select(s => s.Split!.Value));
        Assert.Equal(new Landmark(11, 12, LandmarkVisibility.Truncated), dataset.Samples[0].Landmarks![LandmarkSlot.RightHem]);
        Assert.Equal(new Landmark(1, 2, LandmarkVisibility.Visible), dataset.Samples[1].Landmarks![LandmarkSlot.LeftWaistline]);
        Assert.Equal(new BoundingBox(5, 6, 70, 80), dataset.Samples[1].BoundingBox);
        Assert.Equal(2, dataset.Samples[0].VariationType);
    }

    [Fact]
    public void PartitionIsOptional()
    {
        File.Delete(_folder.PathOf("list_eval_partition.txt"));
        Assert.All(_folder.Read(Landmarks).Samples, s => Assert.Null(s.Split));
    }

    [Fact]
    public void MissingLandmarkFile()
    {
        File.Delete(_folder.PathOf("list_landmarks.txt"));
        var error = Assert.Throws<DeepFashionFormatException>(() => _folder.Read(Landmarks));
        Assert.Equal(_folder.PathOf("Anno/list_landmarks.txt"), error.File);
        Assert.Contains("required file not found (also looked for list_landmarks.txt)", error.Problem);
    }

    [Fact]
    public void DuplicateImageInTheLandmarkFile()
    {
        _folder.ReplaceLine("list_landmarks.txt", 4, "img/img_00000001.jpg 2 1 0 1 2 0 3 4 0 5 6 0 7 8");
        _folder.ExpectError(Landmarks, "list_landmarks.txt", 4, "duplicate image 'img/img_00000001.jpg' (first on line 3)");
    }
}

public sealed class LandmarkSetTests
{
    [Fact]
    public void FromFileOrderKeepsSlotIdentityPerClothesType()
    {
        Landmark[] four = [new(1, 1, LandmarkVisibility.Visible), new(2, 2, LandmarkVisibility.Visible), new(3, 3, LandmarkVisibility.Occluded), new(4, 4, LandmarkVisibility.Visible)];

        var lower = LandmarkSet.FromFileOrder(ClothesType.Lower, four);

        Assert.Equal(0b1111_0000, lower.PresenceMask);
        Assert.Equal(four[2], lower[LandmarkSlot.LeftHem]);
        Assert.Equal(four[3], lower[LandmarkSlot.RightHem]);
        Assert.Equal(LandmarkSet.Absent, lower[LandmarkSlot.LeftCollar]);
    }

    [Fact]
    public void FromFileOrderRejectsACountThatDoesNotFit()
    {
        var error = Assert.Throws<ArgumentException>(() => LandmarkSet.FromFileOrder(ClothesType.Upper, new Landmark[4]));
        Assert.Contains("Upper clothes have 6 landmarks, got 4", error.Message);
    }

    [Fact]
    public void AbsentSlotsNeverReadAsVisible()
    {
        var slots = Enumerable.Range(0, 8).Select(i => new Landmark(i, i, LandmarkVisibility.Visible)).ToArray();

        var set = new LandmarkSet(slots, presenceMask: 0b0000_0011);

        Assert.Equal(2, set.PresentCount);
        Assert.Equal(slots[1], set[LandmarkSlot.RightCollar]);
        Assert.Equal(LandmarkSet.Absent, set[LandmarkSlot.LeftSleeve]);
    }
}
