using FashionNet.Model;
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
        var options = (TrainingOptions)WithEveryValueChanged(new TrainingOptions(), "", new Counter());

        var loaded = TrainingOptions.Load(Write(options.ToJson()));

        var leaves = Leaves(options, "").ToList();
        var loadedLeaves = Leaves(loaded, "").ToDictionary(l => l.Path, l => l.Value);
        var defaults = Leaves(new TrainingOptions(), "").ToDictionary(l => l.Path, l => l.Value);
        Assert.Contains(leaves, l => l.Path == "Schedule.WarmupSteps");
        Assert.Contains(leaves, l => l.Path == "Stage2.LossWeights.triplet");
        Assert.All(leaves, leaf =>
        {
            Assert.False(Equals(defaults[leaf.Path], leaf.Value), $"{leaf.Path} kept its default value {Show(leaf.Value)}: the test did not cover it");
            Assert.True(Equals(leaf.Value, loadedLeaves[leaf.Path]), $"{leaf.Path}: wrote {Show(leaf.Value)}, read back {Show(loadedLeaves[leaf.Path])}");
        });
        Assert.Equal(options, loaded);
    }

    /// <summary>Hands out 1, 2, 3, ... so every changed value differs from every other one (a swap of two fields shows).</summary>
    private sealed class Counter
    {
        private int _next;

        public int Next() => ++_next;
    }

    /// <summary>
    /// A copy of an options record with every settable property set, by reflection and recursively into nested option
    /// records, to a value other than its default and other than any other property's; a property of a type this test
    /// does not know fails the test, so a new field cannot go unchecked.
    /// </summary>
    private static object WithEveryValueChanged(object record, string path, Counter counter)
    {
        var copy = Activator.CreateInstance(record.GetType())!;
        foreach (var property in SettableProperties(record.GetType()))
        {
            object? current = property.GetValue(record);
            string name = $"{path}{property.Name}";
            int unique = counter.Next();
            object changed = property.PropertyType switch
            {
                var t when t == typeof(int) => (int)current! + 100 * unique,
                // Halving keeps every ranged value (momentum, fractions, factors) valid; the small unique part makes it distinct.
                var t when t == typeof(double) => (double)current! / 2 + unique / 1024.0,
                var t when t == typeof(bool) => !(bool)current!,
                { IsEnum: true } t => Enum.GetValues(t).Cast<object>().First(v => !v.Equals(current)),
                var t when t == typeof(IReadOnlyDictionary<string, double>) =>
                    LossTermNames.All.Select((term, i) => (term, weight: unique + 0.25 * (i + 1))).ToDictionary(w => w.term, w => w.weight),
                var t when t.Namespace == typeof(TrainingOptions).Namespace && t.IsClass => WithEveryValueChanged(current!, name + ".", counter),
                var t => throw new Xunit.Sdk.XunitException($"{name} is of type {t.Name}, which JsonRoundTripKeepsEveryValue does not know how to change: add a case for it."),
            };
            property.SetValue(copy, changed);
        }
        return copy;
    }

    /// <summary>Every value of an options record, by dotted path (loss weights by term).</summary>
    private static IEnumerable<(string Path, object? Value)> Leaves(object record, string path)
    {
        foreach (var property in SettableProperties(record.GetType()))
        {
            object? value = property.GetValue(record);
            string name = $"{path}{property.Name}";
            if (value is IReadOnlyDictionary<string, double> weights)
            {
                foreach (string term in LossTermNames.All) yield return ($"{name}.{term}", weights.TryGetValue(term, out double w) ? w : null);
            }
            else if (value is not null && property.PropertyType.Namespace == typeof(TrainingOptions).Namespace && property.PropertyType.IsClass)
            {
                foreach (var leaf in Leaves(value, name + ".")) yield return leaf;
            }
            else
            {
                yield return (name, value);
            }
        }
    }

    private static IEnumerable<System.Reflection.PropertyInfo> SettableProperties(Type type) =>
        type.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance).Where(p => p.CanWrite);

    private static string Show(object? value) => value?.ToString() ?? "(none)";

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

    [Theory]
    [InlineData("""{ "optimizer": { "momentum": 1.5 } }""", "optimizer.momentum")]
    [InlineData("""{ "itemTemperature": 0 }""", "itemTemperature")]
    [InlineData("""{ "itemProxies": "itemMeans" }""", "itemProxies")]
    [InlineData("""{ "stage2": { "landmarkImagesPerBatch": -1 } }""", "stage2.landmarkImagesPerBatch")]
    public void OutOfRangeValueNamesTheField(string json, string field)
    {
        var error = Assert.Throws<FormatException>(() => TrainingOptions.Load(Write(json)));

        Assert.Contains($"'{field}'", error.Message);
    }

    [Fact]
    public void TrainingLandmarksReadAsNamedAndNoneIsRefused()
    {
        Assert.Equal(LandmarkSource.Predicted, TrainingOptions.Load(Write("""{ "trainingLandmarks": "predicted" }""")).TrainingLandmarks);
        Assert.Equal(LandmarkSource.GroundTruth, new TrainingOptions().TrainingLandmarks);

        var error = Assert.Throws<FormatException>(() => TrainingOptions.Load(Write("""{ "trainingLandmarks": "none" }""")));

        Assert.Contains("trainingLandmarks", error.Message);
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
