using System.Runtime.InteropServices;

namespace FashionNet.Kernels.Cpu;

/// <summary>
/// Asks Linux to back a large, freshly allocated buffer with transparent huge pages before it is first written.
/// A feature-sized gradient (51 MB at FashionNet's shape) comes from a fresh <c>mmap</c> on every call, and touching it
/// page by page costs about 12,500 page faults, more than the kernel's own work; with huge pages it is about 25.
/// It is a hint: where it is refused or unsupported, nothing changes.
/// </summary>
internal static unsafe partial class HugePages
{
    private const nuint HugePageSize = 2 << 20;
    private const int MadviseHugePage = 14; // MADV_HUGEPAGE

    private static bool s_unavailable = !OperatingSystem.IsLinux();

    /// <summary>Advises huge pages for the 2 MiB-aligned part of <c>[pointer, pointer + bytes)</c>; the unaligned edges keep normal pages.</summary>
    public static void Advise(void* pointer, long bytes)
    {
        if (s_unavailable || bytes < 2 * (long)HugePageSize)
        {
            return;
        }
        var start = ((nuint)pointer + HugePageSize - 1) & ~(HugePageSize - 1);
        var end = ((nuint)pointer + (nuint)bytes) & ~(HugePageSize - 1);
        try
        {
            // The result is ignored on purpose: a refusal (THP disabled, old kernel) just leaves normal pages.
            _ = Madvise((void*)start, end - start, MadviseHugePage);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            s_unavailable = true;
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}
