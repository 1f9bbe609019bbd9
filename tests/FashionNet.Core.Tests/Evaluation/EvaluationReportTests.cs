using System.Text.Json;
using FashionNet.Data;
using FashionNet.Data.Annotations;
using FashionNet.Data.Imaging;
using FashionNet.Evaluation;

namespace FashionNet.Tests.Evaluation;

public sealed class EvaluationReportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fashionnet-eval-").FullName;

    private static RetrievalEvaluationResult Retrieval() =>
        new(QueryCount: 3, GalleryCount: 5, QueriesWithoutRelevantImage: 1, HitRate: [new(1, 0.25), new(10, 0.5)], ItemRecall: [new(1, 0.125), new(10, 0.375)],
            FirstHitRanks: [2, 0, 1]);

    [Fact]
    public void RetrievalJsonRoundTripsThroughTheFile()
    {
        string path = Path.Combine(_directory, "nested", "retrieval.json");

        EvaluationJson.Write(path, Retrieval());

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        Assert.Equal(3, root.GetProperty("queryCount").GetInt32());
        Assert.Equal(0.5, root.GetProperty("hitRate")[1].GetProperty("rate").GetDouble());
        Assert.Equal(10, root.GetProperty("itemRecall")[1].GetProperty("k").GetInt32());
        Assert.Equal([2, 0, 1], root.GetProperty("firstHitRanks").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(["retrieval.json"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public void LandmarkJsonNamesSlotsAndWritesMissingErrorsAsNull()
    {
        var accumulator = new LandmarkErrorAccumulator();
        var truth = new Landmark[LandmarkLayout.SlotCount];
        truth[0] = new Landmark(5, 5, LandmarkVisibility.Visible);
        for (int slot = 1; slot < truth.Length; slot++) truth[slot] = new Landmark(0, 0, LandmarkVisibility.Occluded);
        accumulator.Add(new float[2 * LandmarkLayout.SlotCount], truth, 10, 10);

        using var document = JsonDocument.Parse(EvaluationJson.Serialize(accumulator.Result()));

        var slots = document.RootElement.GetProperty("perSlot");
        Assert.Equal("LeftCollar", slots[0].GetProperty("slot").GetString());
        Assert.Equal(JsonValueKind.Null, slots[1].GetProperty("error").ValueKind);
        // Predicted at (0, 0), the truth at (5, 5) of a 10 x 10 image: half the image up and to the left.
        Assert.Equal(-0.5, slots[0].GetProperty("meanOffset").GetProperty("x").GetDouble());
        Assert.Equal(-0.5, slots[0].GetProperty("meanOffset").GetProperty("y").GetDouble());
        Assert.Equal(JsonValueKind.Null, slots[1].GetProperty("meanOffset").ValueKind);
    }

    [Fact]
    public void LandmarkCsvHasARowPerImageAndSlotWithTheTruthWhereAnnotated()
    {
        // A lower-body image (waistlines and hems annotated, the right hem occluded) and an image without landmarks, whose name needs quoting.
        var lower = LandmarkSet.FromFileOrder(ClothesType.Lower,
            [new(10, 20, LandmarkVisibility.Visible), new(30, 20, LandmarkVisibility.Visible), new(12, 90, LandmarkVisibility.Visible), new(28, 91.5f, LandmarkVisibility.Occluded)]);
        var dataset = new FashionDataset(DeepFashionFormat.Landmarks, "/data",
            [new FashionSample { ImagePath = "img/a.jpg", Landmarks = lower }, new FashionSample { ImagePath = "img/b,\"c\".jpg" }], [], [], [], [], new ParseReport());
        var positions = Enumerable.Range(0, 2 * 2 * LandmarkLayout.SlotCount).Select(i => i + 0.5f).ToArray();
        var probabilities = Enumerable.Range(0, 2 * LandmarkLayout.SlotCount).Select(i => i / 16f).ToArray();
        ImageSize[] sizes = [new(50, 60), new(40, 100)];
        string path = Path.Combine(_directory, "landmarks.csv");

        new LandmarkPredictions(positions, probabilities, sizes).WriteCsv(dataset, [1, 0], path);

        string[] lines = File.ReadAllLines(path);
        Assert.Equal("image,image_width,image_height,slot,predicted_x,predicted_y,visible_probability,true_visibility,true_x,true_y", lines[0]);
        Assert.Equal(1 + 2 * LandmarkLayout.SlotCount, lines.Length);
        // Row 0 of the predictions is dataset sample 1 (no landmarks); row 1 is sample 0.
        Assert.Equal("\"img/b,\"\"c\"\".jpg\",50,60,LeftCollar,0.5,1.5,0,,,", lines[1]);
        Assert.Equal("img/a.jpg,40,100,LeftCollar,16.5,17.5,0.5,,,", lines[1 + LandmarkLayout.SlotCount]);
        Assert.Equal("img/a.jpg,40,100,LeftWaistline,24.5,25.5,0.75,0,10,20", lines[1 + LandmarkLayout.SlotCount + (int)LandmarkSlot.LeftWaistline]);
        Assert.Equal("img/a.jpg,40,100,RightHem,30.5,31.5,0.9375,1,28,91.5", lines[^1]);
        Assert.Throws<ArgumentException>(() => new LandmarkPredictions(positions, probabilities, sizes).WriteCsv(dataset, [0], path));
    }

    [Fact]
    public void CategoryJsonKeepsTopKAndAddsThePerCategoryRows()
    {
        var accumulator = new CategoryAccuracyAccumulator(3, ks: [1], categoryNames: ["Blouse", "Jeans"]);
        accumulator.Add([0f, 1f, 0f, 0f, 1f, 0f], [0, 1]);

        using var document = JsonDocument.Parse(EvaluationJson.Serialize(accumulator.Result()));

        var root = document.RootElement;
        Assert.Equal(["sampleCount", "topK", "perCategory"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(0.5, root.GetProperty("topK")[0].GetProperty("rate").GetDouble());
        var blouse = root.GetProperty("perCategory")[0];
        Assert.Equal(["category", "name", "sampleCount", "top1Rate", "mostConfusedWith"], blouse.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Blouse", blouse.GetProperty("name").GetString());
        Assert.Equal(0.0, blouse.GetProperty("top1Rate").GetDouble());
        var confused = blouse.GetProperty("mostConfusedWith");
        Assert.Equal(("Jeans", 1, 1.0), (confused.GetProperty("name").GetString(), confused.GetProperty("count").GetInt32(), confused.GetProperty("share").GetDouble()));
        Assert.Equal(JsonValueKind.Null, root.GetProperty("perCategory")[1].GetProperty("mostConfusedWith").ValueKind);
    }

    [Fact]
    public void RetrievalTableKeepsHitRateAndItemRecallApart()
    {
        string[] lines = EvaluationTable.Format(Retrieval()).Split(Environment.NewLine);

        Assert.Contains("3 queries, 5 gallery images, 1 queries without a relevant gallery image", lines[0]);
        Assert.Matches(@"^measure\s+@1\s+@10$", lines[1]);
        Assert.Matches(@"^hit rate\s+0\.2500\s+0\.5000$", lines[3]);
        Assert.Matches(@"^item recall\s+0\.1250\s+0\.3750$", lines[4]);
    }

    [Fact]
    public void AttributeTableShowsMissingTypesAsDash()
    {
        var accumulator = new AttributeRecallAccumulator([1, 2], ks: [1]);
        accumulator.Add([1f, 0f], [true, false]);

        string table = EvaluationTable.Format(accumulator.Result());

        Assert.Matches(@"(?m)^texture\s+1\s+1\.0000\s*$", table);
        Assert.Matches(@"(?m)^fabric\s+0\s+-\s*$", table);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
