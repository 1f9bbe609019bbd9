namespace FashionNet.Kernels.Cuda;

/// <summary>A PTX module loaded into a <see cref="CudaPrimaryContext"/>; disposing unloads it.</summary>
internal sealed class CudaModule : IDisposable
{
    private nint handle;

    internal CudaModule(CudaPrimaryContext context, nint handle)
    {
        Context = context;
        this.handle = handle;
    }

    /// <summary>The context the module lives in.</summary>
    public CudaPrimaryContext Context { get; }

    /// <summary>The kernel named <paramref name="entryPoint"/>; throws <see cref="CudaException"/> when the module lacks it.</summary>
    public CudaFunction GetFunction(string entryPoint)
    {
        ObjectDisposedException.ThrowIf(handle == 0, this);
        Context.MakeCurrent();
        return new CudaFunction(this, Context.Driver.GetFunction(handle, entryPoint), entryPoint);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (handle == 0)
            return;
        Context.MakeCurrent();
        Context.Driver.UnloadModule(handle);
        handle = 0;
    }
}

/// <summary>A kernel of a loaded <see cref="CudaModule"/>, launched one thread per element in one-dimensional blocks.</summary>
internal sealed unsafe class CudaFunction
{
    /// <summary>Threads per block: a multiple of the warp size that keeps every SM busy at FashionNet's shapes.</summary>
    public const int BlockSize = 256;

    private readonly CudaModule module;
    private readonly nint handle;

    internal CudaFunction(CudaModule module, nint handle, string entryPoint)
    {
        this.module = module;
        this.handle = handle;
        EntryPoint = entryPoint;
    }

    /// <summary>The kernel's PTX entry name.</summary>
    public string EntryPoint { get; }

    /// <summary>
    /// Launches enough blocks of <see cref="BlockSize"/> threads for <paramref name="count"/> elements on the default
    /// stream, asynchronously. <paramref name="arguments"/> points at one pointer per kernel parameter, each pointing at
    /// the parameter's value laid out as the PTX entry declares it. Nothing is launched for zero elements.
    /// </summary>
    public void Launch(int count, void** arguments)
    {
        if (count == 0)
            return;
        module.Context.MakeCurrent();
        uint blocks = (uint)((count + (long)BlockSize - 1) / BlockSize);
        module.Context.Driver.Launch(handle, blocks, BlockSize, arguments, EntryPoint);
    }
}
