using System.Diagnostics;
using System.Text.Json;
using TorchSharp;

namespace FashionNet.TorchCudaCheck;

/// <summary>What the check found: named sections of rows, each check passed or failed, written as JSON at the end.</summary>
internal sealed class CheckReport
{
    private readonly Dictionary<string, object?> _root = [];
    private readonly List<string> _failures = [];

    public IReadOnlyList<string> Failures => _failures;

    public void Set(string key, object? value) => _root[key] = value;

    public void AddRow(string section, Dictionary<string, object?> row)
    {
        if (!_root.TryGetValue(section, out var rows) || rows is not List<Dictionary<string, object?>> list)
            _root[section] = list = [];
        list.Add(row);
    }

    /// <summary>Records one check and prints it; a failed check makes the run's exit status 1.</summary>
    public bool Check(string name, bool passed, string detail)
    {
        Console.WriteLine($"  {(passed ? "ok  " : "FAIL")} {name}: {detail}");
        if (!passed) _failures.Add($"{name}: {detail}");
        return passed;
    }

    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        _root["failures"] = _failures;
        string path = Path.Combine(directory, "results.json");
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(_root, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(path + ".tmp", path, overwrite: true);
    }
}

/// <summary>Wall-clock timing that waits for the device: CUDA work is asynchronous, so the clock stops after a synchronize.</summary>
internal static class DeviceTiming
{
    public static void Synchronize(torch.Device device)
    {
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);
    }

    /// <summary>Milliseconds per call of <paramref name="step"/>, each call in its own dispose scope.</summary>
    public static double MillisecondsPer(torch.Device device, int warmup, int iterations, Action step)
    {
        for (int i = 0; i < warmup; i++) Scoped(step);
        Synchronize(device);
        var stopwatch = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++) Scoped(step);
        Synchronize(device);
        return stopwatch.Elapsed.TotalMilliseconds / iterations;
    }

    private static void Scoped(Action step)
    {
        using var scope = torch.NewDisposeScope();
        step();
    }
}
