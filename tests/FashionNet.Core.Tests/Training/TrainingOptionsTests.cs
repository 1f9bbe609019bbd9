using FashionNet.Training;

namespace FashionNet.Tests.Training;

public sealed class TrainingOptionsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fashionnet-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string json)
    {
        string path = Path.Combine(_directory, "config.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void JsonRoundTripKeepsEveryValue()
    {
        var options = new TrainingOptions
        {
            Seed = 7,
            Optimizer = new() { Kind = OptimizerKind.Sgd, LearningRate = 0.01 },
            Stage2 = new() { Epochs = 9, LossWeights = new Dictionary<string, double> { [LossTermNames.Triplet] = 3 } },
        };

        var loaded = TrainingOptions.Load(Write(options.ToJson()));

        Assert.Equal(options, loaded);
        Assert.NotEqual(new TrainingOptions(), loaded);
    }

    [Fact]
    public void PartialFileKeepsDefaultsForTheRest()
    {
        var options = TrainingOptions.Load(Write("""{ "seed": 3, "stage1": { "epochs": 1 } }"""));

        Assert.Equal(3, options.Seed);
        Assert.Equal(1, options.Stage1.Epochs);
        Assert.Equal(new TrainingOptions().Stage2, options.Stage2);
    }

    [Fact]
    public void UnknownKeyIsAnErrorNamingFileAndLine()
    {
        string path = Write("{\n  \"seed\": 3,\n  \"learningrate\": 0.1\n}");

        var error = Assert.Throws<FormatException>(() => TrainingOptions.Load(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("line 3", error.Message);
        Assert.Contains("learningrate", error.Message);
    }

    [Fact]
    public void OutOfRangeValueNamesTheField()
    {
        var error = Assert.Throws<FormatException>(() => TrainingOptions.Load(Write("""{ "optimizer": { "momentum": 1.5 } }""")));

        Assert.Contains("optimizer.momentum", error.Message);
    }

    [Theory]
    [InlineData(ScheduleKind.Constant, 0, 0.1)]
    [InlineData(ScheduleKind.Constant, 99, 0.1)]
    [InlineData(ScheduleKind.Cosine, 0, 0.1)]
    [InlineData(ScheduleKind.Cosine, 50, 0.055)]
    [InlineData(ScheduleKind.Cosine, 100, 0.01)]
    [InlineData(ScheduleKind.Step, 29, 0.1)]
    [InlineData(ScheduleKind.Step, 30, 0.05)]
    [InlineData(ScheduleKind.Step, 65, 0.025)]
    public void ScheduleFollowsItsFormula(ScheduleKind kind, long step, double expected)
    {
        var schedule = new LearningRateSchedule(new ScheduleOptions { Kind = kind, FinalFraction = 0.1, StepEvery = 30, StepFactor = 0.5 }, 0.1, 100);

        Assert.Equal(expected, schedule.RateAt(step), precision: 12);
    }

    [Fact]
    public void WarmupRisesLinearlyToTheBaseRate()
    {
        var schedule = new LearningRateSchedule(new ScheduleOptions { Kind = ScheduleKind.Constant, WarmupSteps = 4 }, 0.2, 100);

        Assert.Equal(new[] { 0.05, 0.1, 0.15, 0.2, 0.2 }, Enumerable.Range(0, 5).Select(s => Math.Round(schedule.RateAt(s), 12)));
    }
}
