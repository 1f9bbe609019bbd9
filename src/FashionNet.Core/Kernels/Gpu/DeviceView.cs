using System.Runtime.InteropServices;
using TorchSharp;

namespace FashionNet.Kernels.Gpu;

/// <summary>
/// A device buffer as a kernel parameter: ILGPU's <c>ArrayView</c> layout, {pointer, element count}, 16 bytes.
/// The native kernels declare the same struct (<c>native/fashionnet_device.cuh</c>), so one launcher drives both.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct DeviceView(ulong pointer, long length)
{
    /// <summary>Address of the first element.</summary>
    public readonly ulong Pointer = pointer;

    /// <summary>Number of elements.</summary>
    public readonly long Length = length;

    /// <summary>A view that kernels never read (an absent optional input).</summary>
    public static DeviceView None => default;

    /// <summary>The memory of a contiguous tensor (CPU or CUDA), at its storage offset.</summary>
    public static DeviceView Of(torch.Tensor tensor) => new((ulong)TensorMemory.Address(tensor), tensor.numel());
}

/// <summary>
/// Addresses of tensor memory: the storage's data pointer (<c>storage&lt;T&gt;().data_ptr()</c>, a device pointer for a CUDA
/// tensor) plus the tensor's storage offset in bytes.
/// </summary>
internal static class TensorMemory
{
    /// <summary>Address of the tensor's first element: a host pointer for a CPU tensor, a device pointer for a CUDA tensor.</summary>
    public static nint Address(torch.Tensor tensor)
    {
        if (tensor.numel() == 0)
            return 0;
        long elementSize = tensor.ElementSize;
        nint storage = tensor.dtype switch
        {
            torch.ScalarType.Float32 => tensor.storage<float>().data_ptr(),
            torch.ScalarType.Int32 => tensor.storage<int>().data_ptr(),
            _ => throw new ArgumentException($"kernels take float32 and int32 tensors, got {tensor.dtype}", nameof(tensor)),
        };
        return storage + (nint)(tensor.storage_offset() * elementSize);
    }

    /// <summary>The elements of a contiguous CPU tensor, zero-copy.</summary>
    public static unsafe Span<T> Span<T>(torch.Tensor tensor)
        where T : unmanaged =>
        new((void*)Address(tensor), checked((int)tensor.numel()));
}
