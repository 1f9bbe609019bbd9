using System.Runtime.InteropServices;

namespace FashionNet.Diagnostics;

/// <summary>
/// Process-level settings for LibTorch's CPU threads that must be made before the first torch call.
/// </summary>
public static partial class TorchThreading
{
    private const string WaitPolicy = "OMP_WAIT_POLICY";

    /// <summary>
    /// Makes LibTorch's OpenMP worker threads sleep instead of spin while they wait (<c>OMP_WAIT_POLICY=PASSIVE</c>),
    /// unless the variable is already set. Spinning threads fight the data loader's decoding threads (and any other
    /// process) for the cores: on the 2-core development machine, with one other busy process, a ResNet18 training
    /// step took 7.3 s spinning and 1.0 s passive. Call it before anything touches torch (OpenMP reads the variable
    /// once, when LibTorch is loaded); later calls have no effect on the running process.
    /// </summary>
    /// <returns>True when this call set the variable; false when it was already set (the user's choice is kept).</returns>
    public static bool PreferPassiveWaiting()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(WaitPolicy))) return false;
        Environment.SetEnvironmentVariable(WaitPolicy, "PASSIVE");
        // On Unix .NET keeps its own copy of the environment; LibTorch's OpenMP reads the C library's.
        if (!OperatingSystem.IsWindows() && SetEnvironment(WaitPolicy, "PASSIVE", 0) != 0)
            throw new InvalidOperationException($"setenv({WaitPolicy}) failed: errno {Marshal.GetLastPInvokeError()}.");
        return true;
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int SetEnvironment(string name, string value, int overwrite);
}
