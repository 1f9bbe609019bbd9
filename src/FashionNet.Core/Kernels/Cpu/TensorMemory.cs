using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace FashionNet.Kernels.Cpu;

/// <summary>Zero-copy access to the memory of contiguous CPU tensors.</summary>
internal static unsafe class TensorMemory
{
    /// <summary>
    /// Pointer to the first element of a contiguous, non-empty CPU tensor. The tensor must stay alive while the
    /// pointer is used; TorchSharp's <c>bytes</c> span already accounts for the storage offset.
    /// </summary>
    public static T* Pointer<T>(torch.Tensor tensor) where T : unmanaged =>
        (T*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(tensor.bytes));
}
