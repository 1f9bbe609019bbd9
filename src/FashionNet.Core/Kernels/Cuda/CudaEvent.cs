namespace FashionNet.Kernels.Cuda;

/// <summary>A CUDA event for timing work on the default stream; disposing destroys it.</summary>
internal sealed class CudaEvent : IDisposable
{
    private readonly CudaPrimaryContext context;
    private nint handle;

    /// <summary>Creates a timing event in <paramref name="context"/>.</summary>
    public CudaEvent(CudaPrimaryContext context)
    {
        this.context = context;
        context.MakeCurrent();
        handle = context.Driver.CreateEvent();
    }

    /// <summary>Records the event after all work queued so far.</summary>
    public void Record()
    {
        ObjectDisposedException.ThrowIf(handle == 0, this);
        context.MakeCurrent();
        context.Driver.RecordEvent(handle);
    }

    /// <summary>Milliseconds of GPU time from <paramref name="start"/> to <paramref name="end"/>, waiting for <paramref name="end"/> first.</summary>
    public static float ElapsedMilliseconds(CudaEvent start, CudaEvent end)
    {
        end.context.MakeCurrent();
        end.context.Driver.SynchronizeEvent(end.handle);
        return end.context.Driver.ElapsedMilliseconds(start.handle, end.handle);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (handle == 0)
            return;
        context.MakeCurrent();
        context.Driver.DestroyEvent(handle);
        handle = 0;
    }
}
