using System.Runtime.InteropServices;

namespace FashionNet.Benchmarks.NativeAllocations;

/// <summary>
/// Reports the native bytes one invocation of each kernel benchmark requests from the C allocator (LibTorch's tensor
/// memory), which MemoryDiagnoser cannot see. Needs <c>malloc_counter.c</c> built and loaded with LD_PRELOAD; the
/// figure is the smallest over repeated invocations, so that allocations by background threads (the JIT's tiering)
/// do not inflate it.
/// </summary>
internal static unsafe class NativeAllocationCensus
{
    private const int WarmupInvocations = 50;
    private const int MeasuredInvocations = 20;

    public static int Run()
    {
        if (!NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), "fashionnet_requested_native_bytes", out var export))
        {
            Console.Error.WriteLine("The allocation counter is not loaded: build malloc_counter.c and run with LD_PRELOAD (see benchmarks/README.md).");
            return 1;
        }
        var requestedBytes = (delegate* unmanaged<ulong>)export;

        var pooling = new LandmarkPoolingBenchmarks();
        pooling.Setup();
        Report(requestedBytes, $"{nameof(LandmarkPoolingBenchmarks)}.{nameof(LandmarkPoolingBenchmarks.Reference)}", pooling.Reference);
        Report(requestedBytes, $"{nameof(LandmarkPoolingBenchmarks)}.{nameof(LandmarkPoolingBenchmarks.CpuKernel)}", pooling.CpuKernel);
        pooling.Cleanup();

        var loss = new WeightedAttributeLossBenchmarks();
        loss.Setup();
        Report(requestedBytes, $"{nameof(WeightedAttributeLossBenchmarks)}.{nameof(WeightedAttributeLossBenchmarks.Reference)}", loss.Reference);
        Report(requestedBytes, $"{nameof(WeightedAttributeLossBenchmarks)}.{nameof(WeightedAttributeLossBenchmarks.CpuKernel)}", loss.CpuKernel);
        loss.Cleanup();
        return 0;
    }

    private static void Report(delegate* unmanaged<ulong> requestedBytes, string name, Action invocation)
    {
        for (var i = 0; i < WarmupInvocations; i++)
        {
            invocation();
        }
        var smallest = ulong.MaxValue;
        for (var i = 0; i < MeasuredInvocations; i++)
        {
            var before = requestedBytes();
            invocation();
            smallest = Math.Min(smallest, requestedBytes() - before);
        }
        Console.WriteLine($"{name,-50} {smallest,14:N0} native bytes requested per invocation");
    }
}
