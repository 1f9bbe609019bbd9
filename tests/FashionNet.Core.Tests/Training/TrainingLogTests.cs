using FashionNet.Training;

namespace FashionNet.Tests.Training;

public sealed class TrainingLogTests : IDisposable
{
    private readonly string _path = Path.Combine(Directory.CreateTempSubdirectory("fashionnet-log-").FullName, "metrics.jsonl");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_path)!, recursive: true);

    private static TrainingLogEntry Entry(long step) =>
        new(TrainingLogKind.Step, 1, 1, step, new Dictionary<string, double> { ["loss"] = 1.0 / step, ["lr"] = 0.01 });

    [Fact]
    public void AppendedEntriesReadBackInOrderAcrossReopening()
    {
        using (var log = new TrainingLog(_path)) { log.Append(Entry(1)); log.Append(Entry(2)); }
        using (var log = new TrainingLog(_path)) log.Append(Entry(3));

        var entries = TrainingLog.Read(_path);

        Assert.Equal(new long[] { 1, 2, 3 }, entries.Select(e => e.Step));
        Assert.Equal(0.5, entries[1].Values["loss"]);
    }

    [Fact]
    public void LineCutOffMidWriteIsSkipped()
    {
        using (var log = new TrainingLog(_path)) { log.Append(Entry(1)); log.Append(Entry(2)); }
        File.AppendAllText(_path, """{"kind":"step","stage":1,"ep""");

        Assert.Equal(2, TrainingLog.Read(_path).Count);
    }

    [Fact]
    public void MalformedLineInTheMiddleNamesItsLine()
    {
        File.WriteAllText(_path, "{\"kind\":\"step\",\"stage\":1,\"epoch\":1,\"step\":1,\"values\":{}}\nnot json\n{\"kind\":\"epoch\",\"stage\":1,\"epoch\":1,\"step\":1,\"values\":{}}\n");

        var error = Assert.Throws<FormatException>(() => TrainingLog.Read(_path));

        Assert.Contains("line 2", error.Message);
    }
}
