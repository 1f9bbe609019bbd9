using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using FashionNet.Kernels;
using FashionNet.Kernels.Gpu;
using TorchSharp;

namespace FashionNet.Tests.Kernels.Gpu;

/// <summary>
/// native/*.cu built as a host shared library (<c>-DFASHIONNET_HOST_EMULATION</c>, see native/fashionnet_device.cuh)
/// with clang++-14, so the CUDA C kernels' logic and math are tested without a GPU. Each kernel call runs one thread
/// index; the harness loops over all of them, serially, on contiguous CPU tensors.
/// </summary>
internal sealed unsafe class NativeHostKernels : ILandmarkPoolingKernel, IWeightedAttributeLossKernel
{
    private const string Compiler = "clang++-14";

    private static readonly Lazy<(NativeHostKernels? Kernels, string Reason)> Shared = new(Build);

    private readonly delegate* unmanaged<int, void> setThreadIndex;
    private readonly delegate* unmanaged<int, DeviceView, DeviceView, DeviceView, DeviceView, DeviceView, LandmarkPoolingGeometry, void> poolingForward;
    private readonly delegate* unmanaged<int, DeviceView, DeviceView, DeviceView, LandmarkPoolingGeometry, void> poolingBackward;
    private readonly delegate* unmanaged<int, DeviceView, DeviceView, DeviceView, DeviceView, DeviceView, DeviceView, DeviceView, int, int, void> lossForward;

    private NativeHostKernels(nint library)
    {
        setThreadIndex = (delegate* unmanaged<int, void>)NativeLibrary.GetExport(library, "fashionnet_host_set_thread_index");
        poolingForward = (delegate* unmanaged<int, DeviceView, DeviceView, DeviceView, DeviceView, DeviceView, LandmarkPoolingGeometry, void>)
            NativeLibrary.GetExport(library, "fashionnet_landmark_pooling_forward");
        poolingBackward = (delegate* unmanaged<int, DeviceView, DeviceView, DeviceView, LandmarkPoolingGeometry, void>)
            NativeLibrary.GetExport(library, "fashionnet_landmark_pooling_backward");
        lossForward = (delegate* unmanaged<int, DeviceView, DeviceView, DeviceView, DeviceView, DeviceView, DeviceView, DeviceView, int, int, void>)
            NativeLibrary.GetExport(library, "fashionnet_weighted_attribute_loss_forward");
    }

    /// <summary>The host build of the native kernels, or a skip of the calling test saying why there is none.</summary>
    public static NativeHostKernels Require()
    {
        var (kernels, reason) = Shared.Value;
        Skip.If(kernels is null, reason);
        return kernels!;
    }

    public void Forward(torch.Tensor features, torch.Tensor landmarks, torch.Tensor visibility, in LandmarkPoolingGeometry geometry,
        torch.Tensor output, torch.Tensor argmax)
    {
        int count = checked((int)geometry.OutputElements);
        for (int i = 0; i < count; i++)
        {
            setThreadIndex(i);
            poolingForward(count, DeviceView.Of(features), DeviceView.Of(landmarks), DeviceView.Of(visibility), DeviceView.Of(output), DeviceView.Of(argmax), geometry);
        }
    }

    public void Backward(torch.Tensor gradOutput, torch.Tensor argmax, in LandmarkPoolingGeometry geometry, torch.Tensor gradFeatures)
    {
        int count = checked((int)geometry.OutputElements);
        for (int i = 0; i < count; i++)
        {
            setThreadIndex(i);
            poolingBackward(count, DeviceView.Of(gradOutput), DeviceView.Of(argmax), DeviceView.Of(gradFeatures), geometry);
        }
    }

    public void Forward(torch.Tensor logits, torch.Tensor targets, torch.Tensor? mask, torch.Tensor posWeight, torch.Tensor negWeight,
        torch.Tensor loss, torch.Tensor gradLogits)
    {
        int count = checked((int)logits.numel());
        for (int i = 0; i < count; i++)
        {
            setThreadIndex(i);
            lossForward(count, DeviceView.Of(logits), DeviceView.Of(targets), mask is null ? DeviceView.None : DeviceView.Of(mask),
                DeviceView.Of(posWeight), DeviceView.Of(negWeight), DeviceView.Of(loss), DeviceView.Of(gradLogits),
                checked((int)posWeight.numel()), mask is null ? 0 : 1);
        }
    }

    private static (NativeHostKernels?, string) Build()
    {
        string native = NativeSourceDirectory();
        string directory = Directory.CreateTempSubdirectory("fashionnet-native-host-").FullName;
        string source = Path.Combine(directory, "kernels.cpp");
        string library = Path.Combine(directory, "libfashionnet_native_host.so");
        File.WriteAllLines(source, Directory.GetFiles(native, "*.cu").Order(StringComparer.Ordinal).Select(file => $"#include \"{file}\""));

        var start = new ProcessStartInfo(Compiler)
        {
            ArgumentList = { "-x", "c++", "-std=c++17", "-O2", "-fPIC", "-shared", "-DFASHIONNET_HOST_EMULATION", "-o", library, source },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        try
        {
            using var process = Process.Start(start)!;
            string errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"{Compiler} failed to build native/ for the host: {errors}");
        }
        catch (Win32Exception)
        {
            return (null, $"{Compiler} is not installed; the native kernels' host test needs it (.ci/run installs clang-14)");
        }
        var kernels = new NativeHostKernels(NativeLibrary.Load(library));
        Directory.Delete(directory, recursive: true);  // the loaded library stays mapped
        return (kernels, string.Empty);
    }

    /// <summary>The repository's native/ folder, found above the test assembly.</summary>
    public static string NativeSourceDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FashionNet.Core.sln")))
                return Path.Combine(dir.FullName, "native");
        }
        throw new DirectoryNotFoundException($"no FashionNet.Core.sln above {AppContext.BaseDirectory}");
    }
}
