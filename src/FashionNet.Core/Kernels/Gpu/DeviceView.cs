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
/// Addresses of tensor memory: LibTorch's <c>data_ptr()</c>, the storage's data plus the tensor's storage offset (a
/// device pointer for a CUDA tensor).
/// </summary>
internal static partial class TensorMemory
{
    /// <summary>Address of the tensor's first element: a host pointer for a CPU tensor, a device pointer for a CUDA tensor.</summary>
    public static nint Address(torch.Tensor tensor)
    {
        if (tensor.numel() == 0)
            return 0;
        if (tensor.dtype is not (torch.ScalarType.Float32 or torch.ScalarType.Int32))
            throw new ArgumentException($"kernels take float32 and int32 tensors, got {tensor.dtype}", nameof(tensor));
        nint address = DataPointer(tensor.Handle);
        return address != 0 ? address : throw new InvalidOperationException($"LibTorch gave no data pointer for a {tensor.device} tensor of {tensor.numel()} elements.");
    }

    /// <summary>The elements of a contiguous CPU tensor, zero-copy.</summary>
    public static unsafe Span<T> Span<T>(torch.Tensor tensor)
        where T : unmanaged =>
        new((void*)Address(tensor), checked((int)tensor.numel()));

    // at::Tensor::data_ptr() through TorchSharp's native glue. TorchSharp's storage<T>().data_ptr() allocates a tensor
    // wrapper per call that only the finalizer frees: on LibTorch's autograd thread, where no dispose scope is open,
    // those wrappers kept whole gradients alive on the GPU.
    [LibraryImport("LibTorchSharp", EntryPoint = "THSTensor_data")]
    private static partial nint DataPointer(nint tensor);
}
