using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text;

namespace FashionNet.Kernels.Cuda;

/// <summary>
/// The few CUDA driver API functions FashionNet launches its kernels with, bound at run time from the driver library
/// (<c>libcuda.so.1</c>, which driver-only machines have, unlike the <c>libcuda.so</c> development link). A machine
/// without the driver or without a device gets a reason string from <see cref="TryGet"/>, never an exception.
/// </summary>
internal sealed unsafe class CudaDriver
{
    private const int Success = 0;

    private static readonly Lazy<(CudaDriver? Driver, string Reason)> Shared = new(Load);

    private readonly delegate* unmanaged<uint, int> cuInit;
    private readonly delegate* unmanaged<int*, int, int> cuDeviceGet;
    private readonly delegate* unmanaged<int*, int> cuDeviceGetCount;
    private readonly delegate* unmanaged<byte*, int, int, int> cuDeviceGetName;
    private readonly delegate* unmanaged<int*, int, int, int> cuDeviceGetAttribute;
    private readonly delegate* unmanaged<nint*, int, int> cuDevicePrimaryCtxRetain;
    private readonly delegate* unmanaged<int, int> cuDevicePrimaryCtxRelease;
    private readonly delegate* unmanaged<nint, int> cuCtxSetCurrent;
    private readonly delegate* unmanaged<int> cuCtxSynchronize;
    private readonly delegate* unmanaged<nint*, void*, uint, int*, void**, int> cuModuleLoadDataEx;
    private readonly delegate* unmanaged<nint, int> cuModuleUnload;
    private readonly delegate* unmanaged<nint*, nint, byte*, int> cuModuleGetFunction;
    private readonly delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int> cuLaunchKernel;
    private readonly delegate* unmanaged<ulong*, nuint, int> cuMemAlloc;
    private readonly delegate* unmanaged<ulong, int> cuMemFree;
    private readonly delegate* unmanaged<ulong, void*, nuint, int> cuMemcpyHtoD;
    private readonly delegate* unmanaged<void*, ulong, nuint, int> cuMemcpyDtoH;
    private readonly delegate* unmanaged<ulong, byte, nuint, int> cuMemsetD8;
    private readonly delegate* unmanaged<int, byte**, int> cuGetErrorName;
    private readonly delegate* unmanaged<int, byte**, int> cuGetErrorString;
    private readonly delegate* unmanaged<nint*, uint, int> cuEventCreate;
    private readonly delegate* unmanaged<nint, nint, int> cuEventRecord;
    private readonly delegate* unmanaged<nint, int> cuEventSynchronize;
    private readonly delegate* unmanaged<float*, nint, nint, int> cuEventElapsedTime;
    private readonly delegate* unmanaged<nint, int> cuEventDestroy;

    private CudaDriver(nint library)
    {
        // Each pointer's parameter order is cuda.h's: cuDeviceGet(CUdevice* device, int ordinal) takes the result first.
        // The _v2 names are the ones cuda.h's macros select since CUDA 4 (memory) and 11 (primary context release).
        cuInit = (delegate* unmanaged<uint, int>)Export(library, "cuInit");
        cuDeviceGet = (delegate* unmanaged<int*, int, int>)Export(library, "cuDeviceGet");
        cuDeviceGetCount = (delegate* unmanaged<int*, int>)Export(library, "cuDeviceGetCount");
        cuDeviceGetName = (delegate* unmanaged<byte*, int, int, int>)Export(library, "cuDeviceGetName");
        cuDeviceGetAttribute = (delegate* unmanaged<int*, int, int, int>)Export(library, "cuDeviceGetAttribute");
        cuDevicePrimaryCtxRetain = (delegate* unmanaged<nint*, int, int>)Export(library, "cuDevicePrimaryCtxRetain");
        cuDevicePrimaryCtxRelease = (delegate* unmanaged<int, int>)Export(library, "cuDevicePrimaryCtxRelease_v2");
        cuCtxSetCurrent = (delegate* unmanaged<nint, int>)Export(library, "cuCtxSetCurrent");
        cuCtxSynchronize = (delegate* unmanaged<int>)Export(library, "cuCtxSynchronize");
        cuModuleLoadDataEx = (delegate* unmanaged<nint*, void*, uint, int*, void**, int>)Export(library, "cuModuleLoadDataEx");
        cuModuleUnload = (delegate* unmanaged<nint, int>)Export(library, "cuModuleUnload");
        cuModuleGetFunction = (delegate* unmanaged<nint*, nint, byte*, int>)Export(library, "cuModuleGetFunction");
        cuLaunchKernel = (delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int>)Export(library, "cuLaunchKernel");
        cuMemAlloc = (delegate* unmanaged<ulong*, nuint, int>)Export(library, "cuMemAlloc_v2");
        cuMemFree = (delegate* unmanaged<ulong, int>)Export(library, "cuMemFree_v2");
        cuMemcpyHtoD = (delegate* unmanaged<ulong, void*, nuint, int>)Export(library, "cuMemcpyHtoD_v2");
        cuMemcpyDtoH = (delegate* unmanaged<void*, ulong, nuint, int>)Export(library, "cuMemcpyDtoH_v2");
        cuMemsetD8 = (delegate* unmanaged<ulong, byte, nuint, int>)Export(library, "cuMemsetD8_v2");
        cuGetErrorName = (delegate* unmanaged<int, byte**, int>)Export(library, "cuGetErrorName");
        cuGetErrorString = (delegate* unmanaged<int, byte**, int>)Export(library, "cuGetErrorString");
        cuEventCreate = (delegate* unmanaged<nint*, uint, int>)Export(library, "cuEventCreate");
        cuEventRecord = (delegate* unmanaged<nint, nint, int>)Export(library, "cuEventRecord");
        cuEventSynchronize = (delegate* unmanaged<nint, int>)Export(library, "cuEventSynchronize");
        cuEventElapsedTime = (delegate* unmanaged<float*, nint, nint, int>)Export(library, "cuEventElapsedTime");
        cuEventDestroy = (delegate* unmanaged<nint, int>)Export(library, "cuEventDestroy_v2");
    }

    /// <summary>The driver library's file name on this platform.</summary>
    public static string LibraryName => OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1";

    /// <summary>Number of CUDA devices the driver sees (at least one once <see cref="TryGet"/> succeeded).</summary>
    public int DeviceCount { get; private set; }

    /// <summary>
    /// The process-wide driver, loaded and initialised on first use. False, with the reason, when the library is
    /// missing, lacks a function, or <c>cuInit</c> fails or finds no device.
    /// </summary>
    public static bool TryGet([NotNullWhen(true)] out CudaDriver? driver, out string reason)
    {
        (driver, reason) = Shared.Value;
        return driver is not null;
    }

    private static (CudaDriver? Driver, string Reason) Load()
    {
        if (!NativeLibrary.TryLoad(LibraryName, out nint library))
            return (null, $"the CUDA driver library {LibraryName} was not found (no NVIDIA driver installed)");

        CudaDriver driver;
        try
        {
            driver = new CudaDriver(library);
        }
        catch (EntryPointNotFoundException e)
        {
            return (null, $"{LibraryName} is too old: {e.Message}");
        }

        int result = driver.cuInit(0);
        if (result != Success)
            return (null, $"cuInit failed: {driver.Describe(result)}");

        int count;
        result = driver.cuDeviceGetCount(&count);
        if (result != Success)
            return (null, $"cuDeviceGetCount failed: {driver.Describe(result)}");
        if (count == 0)
            return (null, "the CUDA driver reports no device");
        driver.DeviceCount = count;
        return (driver, string.Empty);
    }

    private static nint Export(nint library, string name) =>
        NativeLibrary.TryGetExport(library, name, out nint address)
            ? address
            : throw new EntryPointNotFoundException($"{name} is missing");

    /// <summary>The driver's name and description of a <c>CUresult</c>, e.g. "CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected".</summary>
    public string Describe(int result)
    {
        byte* name = null;
        byte* text = null;
        string nameText = cuGetErrorName(result, &name) == Success && name is not null ? Marshal.PtrToStringUTF8((nint)name)! : $"CUresult {result}";
        string description = cuGetErrorString(result, &text) == Success && text is not null ? Marshal.PtrToStringUTF8((nint)text)! : "unknown error";
        return $"{nameText}: {description}";
    }

    private void Check(int result, string call)
    {
        if (result != Success)
            throw new CudaException($"{call} failed: {Describe(result)}", result);
    }

    /// <summary>The driver handle of device <paramref name="ordinal"/>.</summary>
    public int GetDevice(int ordinal)
    {
        int device;
        Check(cuDeviceGet(&device, ordinal), $"cuDeviceGet({ordinal})");
        return device;
    }

    /// <summary>The device's marketing name, e.g. "NVIDIA H100 80GB HBM3".</summary>
    public string GetDeviceName(int device)
    {
        byte* name = stackalloc byte[256];
        Check(cuDeviceGetName(name, 256, device), "cuDeviceGetName");
        return Marshal.PtrToStringUTF8((nint)name) ?? string.Empty;
    }

    /// <summary>One <c>CUdevice_attribute</c> of a device.</summary>
    public int GetAttribute(int device, CudaDeviceAttribute attribute)
    {
        int value;
        Check(cuDeviceGetAttribute(&value, (int)attribute, device), $"cuDeviceGetAttribute({attribute})");
        return value;
    }

    /// <summary>Retains the device's primary context (the one the CUDA runtime, and so LibTorch, uses).</summary>
    public nint RetainPrimaryContext(int device)
    {
        nint context;
        Check(cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain");
        return context;
    }

    /// <summary>Releases one retain of the device's primary context.</summary>
    public void ReleasePrimaryContext(int device) => Check(cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease");

    /// <summary>Binds a context to the calling thread.</summary>
    public void SetCurrentContext(nint context) => Check(cuCtxSetCurrent(context), "cuCtxSetCurrent");

    /// <summary>Waits for all work in the current context; reports errors of earlier asynchronous launches.</summary>
    public void Synchronize() => Check(cuCtxSynchronize(), "cuCtxSynchronize");

    /// <summary>JIT-compiles and loads a PTX module into the current context; the JIT's log is part of any error.</summary>
    public nint LoadModule(string ptx)
    {
        const int ErrorLogBuffer = 5, ErrorLogBufferSizeBytes = 6;
        const int LogSize = 8192;
        byte[] image = Encoding.ASCII.GetBytes(ptx + '\0');
        byte* log = stackalloc byte[LogSize];
        log[0] = 0;
        int* options = stackalloc int[] { ErrorLogBuffer, ErrorLogBufferSizeBytes };
        void** values = stackalloc void*[] { log, (void*)(nint)LogSize };
        nint module;
        fixed (byte* imagePointer = image)
        {
            int result = cuModuleLoadDataEx(&module, imagePointer, 2, options, values);
            if (result != Success)
            {
                string jitLog = Marshal.PtrToStringUTF8((nint)log)?.Trim() ?? string.Empty;
                throw new CudaException($"cuModuleLoadDataEx failed: {Describe(result)}" + (jitLog.Length > 0 ? $"; JIT log: {jitLog}" : string.Empty), result);
            }
        }
        return module;
    }

    /// <summary>Unloads a module.</summary>
    public void UnloadModule(nint module) => Check(cuModuleUnload(module), "cuModuleUnload");

    /// <summary>The kernel named <paramref name="entryPoint"/> in a loaded module.</summary>
    public nint GetFunction(nint module, string entryPoint)
    {
        byte[] name = Encoding.ASCII.GetBytes(entryPoint + '\0');
        nint function;
        fixed (byte* namePointer = name)
            Check(cuModuleGetFunction(&function, module, namePointer), $"cuModuleGetFunction({entryPoint})");
        return function;
    }

    /// <summary>Launches a kernel on the legacy default stream (the one LibTorch uses unless told otherwise).</summary>
    public void Launch(nint function, uint gridSize, uint blockSize, void** arguments, string entryPoint) =>
        Check(cuLaunchKernel(function, gridSize, 1, 1, blockSize, 1, 1, 0, 0, arguments, null), $"cuLaunchKernel({entryPoint})");

    /// <summary>Allocates device memory in the current context.</summary>
    public ulong Allocate(long bytes)
    {
        ulong pointer;
        Check(cuMemAlloc(&pointer, (nuint)bytes), $"cuMemAlloc({bytes} bytes)");
        return pointer;
    }

    /// <summary>Frees device memory.</summary>
    public void Free(ulong pointer) => Check(cuMemFree(pointer), "cuMemFree");

    /// <summary>Copies host memory to the device.</summary>
    public void CopyToDevice(ulong destination, void* source, long bytes) =>
        Check(cuMemcpyHtoD(destination, source, (nuint)bytes), "cuMemcpyHtoD");

    /// <summary>Copies device memory to the host.</summary>
    public void CopyToHost(void* destination, ulong source, long bytes) =>
        Check(cuMemcpyDtoH(destination, source, (nuint)bytes), "cuMemcpyDtoH");

    /// <summary>Sets device memory to zero bytes.</summary>
    public void Clear(ulong destination, long bytes) => Check(cuMemsetD8(destination, 0, (nuint)bytes), "cuMemsetD8");

    /// <summary>Creates an event with timing enabled.</summary>
    public nint CreateEvent()
    {
        nint handle;
        Check(cuEventCreate(&handle, 0), "cuEventCreate");
        return handle;
    }

    /// <summary>Records an event on the legacy default stream.</summary>
    public void RecordEvent(nint handle) => Check(cuEventRecord(handle, 0), "cuEventRecord");

    /// <summary>Waits until an event has been reached.</summary>
    public void SynchronizeEvent(nint handle) => Check(cuEventSynchronize(handle), "cuEventSynchronize");

    /// <summary>Milliseconds between two recorded, completed events.</summary>
    public float ElapsedMilliseconds(nint start, nint end)
    {
        float milliseconds;
        Check(cuEventElapsedTime(&milliseconds, start, end), "cuEventElapsedTime");
        return milliseconds;
    }

    /// <summary>Destroys an event.</summary>
    public void DestroyEvent(nint handle) => Check(cuEventDestroy(handle), "cuEventDestroy");
}

/// <summary>The <c>CUdevice_attribute</c> values FashionNet reads.</summary>
internal enum CudaDeviceAttribute
{
    /// <summary>Peak memory clock in kHz.</summary>
    MemoryClockRate = 36,

    /// <summary>Global memory bus width in bits.</summary>
    GlobalMemoryBusWidth = 37,

    /// <summary>Major compute capability.</summary>
    ComputeCapabilityMajor = 75,

    /// <summary>Minor compute capability.</summary>
    ComputeCapabilityMinor = 76,
}
