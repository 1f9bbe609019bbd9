using FashionNet.Diagnostics;
using FashionNet.Kernels;
using FashionNet.Kernels.Gpu;
using FashionNet.TorchCudaCheck;
using TorchSharp;

// The CUDA check of issue 16: see CheckOptions.Usage and benchmarks/gpu/README.md.
CheckOptions options;
try
{
    options = CheckOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(CheckOptions.Usage);
    return 64;
}

var report = new CheckReport();
try
{
    ComputeDevice.RequireAvailable(options.Device);
}
catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException)
{
    Console.Error.WriteLine(e.Message);
    report.Set("device", null);
    report.Set("unavailable", e.Message);
    report.Write(options.OutputDirectory);
    return 2;
}

// Exact float32 everywhere, so the backends differ only by the kernels (LibTorch allows TF32 in cuDNN convolutions by default).
torch.backends.cudnn.allow_tf32 = false;
torch.backends.cuda.matmul.allow_tf32 = false;

Console.WriteLine($"Device: {options.Device}; LibTorch CUDA available: {torch.cuda.is_available()}, devices: {(torch.cuda.is_available() ? torch.cuda.device_count() : 0)}, cuDNN: {torch.cuda.is_cudnn_available()}");
Console.WriteLine("Kernel backends:");
foreach (var status in KernelAvailability.Probe())
    Console.WriteLine($"  {status.Backend,-10} {status.Target,-4} {(status.IsAvailable ? "yes" : "no "),-3}  {status.Detail}");
report.Set("device", options.Device.ToString());
report.Set("backends", KernelAvailability.Probe().Select(s => new Dictionary<string, object?>
{
    ["backend"] = s.Backend.ToString(), ["target"] = s.Target, ["available"] = s.IsAvailable, ["detail"] = s.Detail,
}).ToList());

// The backends a user can ask for on this device, each checked against the reference.
KernelBackend[] backends = options.IsCuda ? [KernelBackend.Ilgpu, KernelBackend.NativeCuda] : [KernelBackend.Cpu, KernelBackend.Ilgpu];
var sections = new (string Name, Action Run)[]
{
    ("operators", () => OperatorChecks.Run(options, backends, report)),
    ("training step", () => TrainingStepCheck.Run(options, backends, report)),
};
foreach (var (name, run) in sections)
{
    try
    {
        run();
    }
    catch (Exception e)
    {
        // One failing section must not hide what the others find on a GPU machine lent for minutes.
        report.Check(name, false, $"{e.GetType().Name}: {e.Message}");
        Console.Error.WriteLine(e);
    }
}
report.Write(options.OutputDirectory);
Console.WriteLine(report.Failures.Count == 0 ? "All checks passed." : $"{report.Failures.Count} check(s) FAILED.");
return report.Failures.Count == 0 ? 0 : 1;
