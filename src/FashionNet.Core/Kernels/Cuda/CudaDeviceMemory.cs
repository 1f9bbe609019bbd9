namespace FashionNet.Kernels.Cuda;

/// <summary>
/// A device buffer of <typeparamref name="T"/> allocated with the driver in a primary context: what the GPU check
/// runs the kernels on where LibTorch itself has no CUDA backend. Disposing frees it.
/// </summary>
internal sealed unsafe class CudaDeviceMemory<T> : IDisposable
    where T : unmanaged
{
    private readonly CudaPrimaryContext context;

    /// <summary>Allocates <paramref name="length"/> elements (contents undefined).</summary>
    public CudaDeviceMemory(CudaPrimaryContext context, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        this.context = context;
        Length = length;
        context.MakeCurrent();
        // cuMemAlloc refuses zero bytes; an empty buffer keeps a null pointer that no kernel dereferences.
        Pointer = length == 0 ? 0 : context.Driver.Allocate(ByteLength);
    }

    /// <summary>The device address of the first element.</summary>
    public ulong Pointer { get; private set; }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    private long ByteLength => Length * sizeof(T);

    /// <summary>Copies <paramref name="source"/> (exactly <see cref="Length"/> elements) to the device.</summary>
    public void CopyFrom(ReadOnlySpan<T> source)
    {
        CheckLength(source.Length);
        if (Length == 0)
            return;
        context.MakeCurrent();
        fixed (T* pointer = source)
            context.Driver.CopyToDevice(Pointer, pointer, ByteLength);
    }

    /// <summary>Copies the buffer into <paramref name="destination"/> (exactly <see cref="Length"/> elements), waiting for queued work.</summary>
    public void CopyTo(Span<T> destination)
    {
        CheckLength(destination.Length);
        if (Length == 0)
            return;
        context.MakeCurrent();
        fixed (T* pointer = destination)
            context.Driver.CopyToHost(pointer, Pointer, ByteLength);
    }

    /// <summary>Sets every byte to zero.</summary>
    public void Clear()
    {
        if (Length == 0)
            return;
        context.MakeCurrent();
        context.Driver.Clear(Pointer, ByteLength);
    }

    /// <summary>The buffer as a kernel argument.</summary>
    public Gpu.DeviceView View => new(Pointer, Length);

    private void CheckLength(int length)
    {
        if (length != Length)
            throw new ArgumentException($"expected {Length} elements of {typeof(T).Name}, got {length}");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Pointer == 0)
            return;
        context.MakeCurrent();
        context.Driver.Free(Pointer);
        Pointer = 0;
    }
}
