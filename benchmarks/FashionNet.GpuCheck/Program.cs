using System.Diagnostics;
using System.Text.Json;
using FashionNet.GpuCheck;
using FashionNet.Kernels;
using FashionNet.Kernels.Gpu;

// The GPU check of issue 8: see GpuCheckOptions.Usage and benchmarks/gpu/README.md.
GpuCheckOptions options;
try
{
    options = GpuCheckOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(GpuCheckOptions.Usage);
    return 64;
}
Directory.CreateDirectory(options.OutputDirectory);

Console.WriteLine("Kernel backends:");
foreach (var status in KernelAvailability.Probe())
    Console.WriteLine($"  {status.Backend,-10} {status.Target,-4} {(status.IsAvailable ? "yes" : "no "),-3}  {status.Detail}");

WritePtx(options.OutputDirectory);

var backends = new List<CudaKernelSet>();
var skipped = new List<string>();
foreach (var backend in new[] { KernelBackend.Ilgpu, KernelBackend.NativeCuda })
{
    if (CudaKernelSet.TryGet(backend, 0, out var kernels, out string reason))
        backends.Add(kernels);
    else
        skipped.Add($"{backend} skipped: {reason}");
}
foreach (string line in skipped)
    Console.WriteLine(line);
if (backends.Count == 0)
{
    WriteJson(Path.Combine(options.OutputDirectory, "results.json"), new Dictionary<string, object?> { ["device"] = null, ["skipped"] = skipped, ["results"] = Array.Empty<object>() });
    // Still proves that this build (trimmed, self-contained) runs ILGPU: it compiled the PTX above, and now the CPU accelerator.
    var sample = new CheckInputs(options.BatchSizes.Min(), seed: 2016);
    var pooled = RunOnCpuAccelerator(sample).Pooled;
    Console.WriteLine($"ILGPU CPU accelerator ran N={sample.Batch}: {pooled.Count(v => v != 0)} of {pooled.Length} pooled values nonzero.");
    Console.WriteLine("No GPU backend is available on this machine; nothing to check.");
    return 2;
}

var device = backends[0].Context;
Console.WriteLine($"Device 0: {device.DeviceName}, sm_{device.ComputeCapability.Major}{device.ComputeCapability.Minor}, peak memory bandwidth {device.PeakBandwidthGBps:F0} GB/s");

var rows = new List<Dictionary<string, object>>();
bool allMatch = true;
foreach (int batch in options.BatchSizes)
{
    var inputs = new CheckInputs(batch, seed: 2016 + batch);
    var stopwatch = Stopwatch.StartNew();
    var expected = RunOnCpuAccelerator(inputs);
    Console.WriteLine($"N={batch}: expected results from ILGPU's CPU accelerator in {stopwatch.Elapsed.TotalSeconds:F1} s");

    foreach (var kernels in backends)
    {
        using var run = new DeviceRun(kernels, inputs);
        var outputs = run.Execute();
        string[] differences = outputs.Compare(expected).ToArray();
        allMatch &= differences.Length == 0;
        Console.WriteLine($"  {kernels.Backend}: " + (differences.Length == 0 ? "matches" : "MISMATCH\n    " + string.Join("\n    ", differences)));

        var (poolingMs, lossMs) = run.Time(options.Warmup, options.Iterations);
        rows.Add(new()
        {
            ["backend"] = kernels.Backend.ToString(),
            ["batch"] = batch,
            ["matches"] = differences.Length == 0,
            ["differences"] = differences,
            ["pooling_forward_backward_ms"] = poolingMs,
            ["pooling_bytes"] = run.PoolingBytes,
            ["pooling_gbps"] = run.PoolingBytes / (poolingMs * 1e6),
            ["loss_forward_backward_ms"] = lossMs,
            ["loss_bytes"] = run.LossBytes,
            ["loss_gbps"] = run.LossBytes / (lossMs * 1e6),
        });
        if (batch == options.BatchSizes.Min() && kernels == backends[^1])
            DumpTensors(Path.Combine(options.OutputDirectory, $"tensors-n{batch}"), inputs, outputs);
    }
}

Console.WriteLine();
Console.WriteLine($"| backend | N | matches CPU | pooling fwd+bwd (ms) | GB/s (% of {device.PeakBandwidthGBps:F0}) | loss fwd+bwd (ms) | GB/s (% of peak) |");
Console.WriteLine("| --- | ---: | --- | ---: | ---: | ---: | ---: |");
foreach (var row in rows)
{
    double poolingGbps = (double)row["pooling_gbps"], lossGbps = (double)row["loss_gbps"];
    Console.WriteLine($"| {row["backend"]} | {row["batch"]} | {((bool)row["matches"] ? "yes" : "NO")} | {(double)row["pooling_forward_backward_ms"]:F4} | " +
        $"{poolingGbps:F0} ({100 * poolingGbps / device.PeakBandwidthGBps:F0}%) | {(double)row["loss_forward_backward_ms"]:F4} | " +
        $"{lossGbps:F0} ({100 * lossGbps / device.PeakBandwidthGBps:F0}%) |");
}

var report = new Dictionary<string, object?>
{
    ["device"] = device.DeviceName,
    ["compute_capability"] = $"{device.ComputeCapability.Major}.{device.ComputeCapability.Minor}",
    ["peak_bandwidth_gbps"] = device.PeakBandwidthGBps,
    ["iterations"] = options.Iterations,
    ["shapes"] = $"C={CheckInputs.Channels}, H=W={CheckInputs.Size}, L={CheckInputs.Landmarks}, K={CheckInputs.Window}, P={CheckInputs.Bins}, A={CheckInputs.Attributes}",
    ["results"] = rows,
};
WriteJson(Path.Combine(options.OutputDirectory, "results.json"), report);
return allMatch ? 0 : 1;

static CheckOutputs RunOnCpuAccelerator(CheckInputs inputs)
{
    var outputs = CheckOutputs.For(inputs);
    var accelerator = IlgpuCpuAccelerator.Instance;
    accelerator.LandmarkPoolingForward(inputs.Features, inputs.Landmarks2D, inputs.Visibility, inputs.Geometry, outputs.Pooled, outputs.Argmax);
    accelerator.LandmarkPoolingBackward(inputs.GradOutput, outputs.Argmax, inputs.Geometry, outputs.GradFeatures);
    accelerator.WeightedAttributeLossForward(inputs.Logits, inputs.Targets, inputs.Mask, inputs.PosWeight, inputs.NegWeight, outputs.Loss, outputs.GradLogits);
    return outputs;
}

// The PTX each backend loaded, for ptxas and for the record.
static void WritePtx(string directory)
{
    string ptxDirectory = Directory.CreateDirectory(Path.Combine(directory, "ptx")).FullName;
    foreach (var (available, kernels) in new[] { (IlgpuPtx.TryGetKernelSet(out var ilgpu, out _), ilgpu), (NativePtx.TryGetKernelSet(out var native, out _), native) })
    {
        if (!available)
            continue;
        foreach (var kernel in new[] { kernels!.LandmarkPoolingForward, kernels.LandmarkPoolingBackward, kernels.WeightedAttributeLossForward })
            File.WriteAllText(Path.Combine(ptxDirectory, $"{kernels.Backend}.{kernel.EntryPoint}.ptx"), kernel.Ptx);
    }
}

// Inputs and one backend's outputs as raw little-endian float32/int32 files, for benchmarks/gpu/reference.py.
static void DumpTensors(string directory, CheckInputs inputs, CheckOutputs outputs)
{
    Directory.CreateDirectory(directory);
    void Write<T>(string name, T[] values)
        where T : unmanaged =>
        File.WriteAllBytes(Path.Combine(directory, name + ".bin"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
    Write("features", inputs.Features);
    Write("landmarks", inputs.Landmarks2D);
    Write("visibility", inputs.Visibility);
    Write("grad_output", inputs.GradOutput);
    Write("logits", inputs.Logits);
    Write("targets", inputs.Targets);
    Write("mask", inputs.Mask);
    Write("pos_weight", inputs.PosWeight);
    Write("neg_weight", inputs.NegWeight);
    Write("pooled", outputs.Pooled);
    Write("grad_features", outputs.GradFeatures);
    Write("loss", outputs.Loss);
    Write("grad_logits", outputs.GradLogits);
    WriteJson(Path.Combine(directory, "shape.json"), new Dictionary<string, object?>
    {
        ["batch"] = inputs.Batch,
        ["channels"] = CheckInputs.Channels,
        ["height"] = CheckInputs.Size,
        ["width"] = CheckInputs.Size,
        ["landmarks"] = CheckInputs.Landmarks,
        ["window"] = CheckInputs.Window,
        ["attributes"] = CheckInputs.Attributes,
    });
}

// JSON written with Utf8JsonWriter, no reflection: the trimmed publish disables reflection-based JsonSerializer
// (JsonSerializerIsReflectionEnabledByDefault=false), so JsonSerializer would throw here.
static void WriteJson(string path, IDictionary<string, object?> value)
{
    using var stream = File.Create(path);
    using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
    Write(writer, value);

    static void Write(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            case int number:
                writer.WriteNumberValue(number);
                break;
            case long number:
                writer.WriteNumberValue(number);
                break;
            case float number when float.IsFinite(number):
                writer.WriteNumberValue(number);
                break;
            case double number when double.IsFinite(number):
                writer.WriteNumberValue(number);
                break;
            case float or double:
                writer.WriteNullValue(); // JSON has no NaN or infinity
                break;
            case IDictionary<string, object?> jsonObject:
                writer.WriteStartObject();
                foreach (var (key, item) in jsonObject)
                {
                    writer.WritePropertyName(key);
                    Write(writer, item);
                }
                writer.WriteEndObject();
                break;
            case System.Collections.IEnumerable items:
                writer.WriteStartArray();
                foreach (object? item in items)
                    Write(writer, item);
                writer.WriteEndArray();
                break;
            default:
                throw new NotSupportedException($"no JSON form for {value.GetType().Name}");
        }
    }
}
