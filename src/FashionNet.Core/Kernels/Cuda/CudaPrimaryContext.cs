namespace FashionNet.Kernels.Cuda;

/// <summary>
/// A retained primary context of one CUDA device: the context the CUDA runtime, and so LibTorch, allocates tensors
/// in, so kernels launched here can work on LibTorch's device pointers. Disposing releases the retain.
/// </summary>
internal sealed class CudaPrimaryContext : IDisposable
{
    private readonly CudaDriver driver;
    private readonly int device;
    private nint handle;

    private CudaPrimaryContext(CudaDriver driver, int ordinal)
    {
        this.driver = driver;
        Ordinal = ordinal;
        device = driver.GetDevice(ordinal);
        DeviceName = driver.GetDeviceName(device);
        ComputeCapability = (driver.GetAttribute(device, CudaDeviceAttribute.ComputeCapabilityMajor),
            driver.GetAttribute(device, CudaDeviceAttribute.ComputeCapabilityMinor));
        // Double data rate: two transfers per memory clock across the whole bus.
        PeakBandwidthGBps = 2.0 * driver.GetAttribute(device, CudaDeviceAttribute.MemoryClockRate) * 1e3
            * driver.GetAttribute(device, CudaDeviceAttribute.GlobalMemoryBusWidth) / 8 / 1e9;
        handle = driver.RetainPrimaryContext(device);
    }

    /// <summary>The device ordinal (as in <c>cuda:0</c>).</summary>
    public int Ordinal { get; }

    /// <summary>The device's name, e.g. "NVIDIA H100 80GB HBM3".</summary>
    public string DeviceName { get; }

    /// <summary>The device's compute capability.</summary>
    public (int Major, int Minor) ComputeCapability { get; }

    /// <summary>Theoretical peak memory bandwidth in GB/s, from the memory clock and bus width the driver reports.</summary>
    public double PeakBandwidthGBps { get; }

    /// <summary>The driver this context belongs to.</summary>
    public CudaDriver Driver => driver;

    /// <summary>Retains the primary context of device <paramref name="ordinal"/>; throws <see cref="CudaException"/> on failure.</summary>
    public static CudaPrimaryContext Retain(CudaDriver driver, int ordinal)
    {
        if (ordinal < 0 || ordinal >= driver.DeviceCount)
            throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal, $"the CUDA driver sees {driver.DeviceCount} device(s)");
        return new CudaPrimaryContext(driver, ordinal);
    }

    /// <summary>Binds this context to the calling thread; every driver call below needs it current.</summary>
    public void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(handle == 0, this);
        driver.SetCurrentContext(handle);
    }

    /// <summary>Waits for all work queued in this context.</summary>
    public void Synchronize()
    {
        MakeCurrent();
        driver.Synchronize();
    }

    /// <summary>Loads PTX into this context.</summary>
    public CudaModule LoadModule(string ptx)
    {
        MakeCurrent();
        return new CudaModule(this, driver.LoadModule(ptx));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (handle == 0)
            return;
        handle = 0;
        driver.ReleasePrimaryContext(device);
    }
}
