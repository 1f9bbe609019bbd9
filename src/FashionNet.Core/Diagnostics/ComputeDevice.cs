using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Diagnostics;

/// <summary>
/// Names and checks the device a model runs on: <c>cpu</c>, <c>cuda</c> (device 0) or <c>cuda:N</c>. The CPU is always
/// there; a CUDA device needs a CUDA build of LibTorch (a package the user brings, since the library references
/// TorchSharp only) and an NVIDIA driver, and asking for one without them is an error that says which is missing.
/// </summary>
public static class ComputeDevice
{
    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (case-insensitive).</summary>
    /// <param name="text">The device name, e.g. from a <c>--device</c> option.</param>
    /// <exception cref="FormatException">Not one of those forms; the message quotes the text.</exception>
    public static Device Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string name = text.Trim().ToLowerInvariant();
        if (name == "cpu") return CPU;
        if (name == "cuda") return new Device(DeviceType.CUDA, 0);
        if (name.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(name.AsSpan(5), System.Globalization.NumberStyles.None, null, out int index))
            return new Device(DeviceType.CUDA, index);
        throw new FormatException($"'{text}' is not a device: use cpu, cuda or cuda:N.");
    }

    /// <summary>Throws unless <paramref name="device"/> can run here; returns it otherwise.</summary>
    /// <param name="device">The device asked for.</param>
    /// <exception cref="NotSupportedException">A CUDA device without a CUDA LibTorch, or beyond the devices present; the message says what is missing.</exception>
    public static Device RequireAvailable(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.type == DeviceType.CPU) return device;
        if (device.type != DeviceType.CUDA)
            throw new NotSupportedException($"Device {device} is not supported: use cpu or cuda[:N].");
        if (!cuda.is_available())
        {
            throw new NotSupportedException(
                $"{device} was asked for, but TorchSharp finds no CUDA: the LibTorch loaded is a CPU build or no NVIDIA driver is present " +
                "(reference a CUDA LibTorch package instead of libtorch-cpu-linux-x64, on a machine with an NVIDIA GPU and driver).");
        }
        int count = cuda.device_count(), index = Math.Max(0, device.index);
        if (index >= count) throw new NotSupportedException($"{device} was asked for, but this machine has {count} CUDA device(s).");
        return device;
    }
}
