using BenchmarkDotNet.Running;
using FashionNet.Benchmarks.NativeAllocations;

// `--native-allocations` (under LD_PRELOAD of the allocation counter) reports native bytes per invocation instead.
// Otherwise pick benchmarks on the command line, e.g. `-- --filter '*LandmarkPooling*'`; see benchmarks/README.md.
if (args is ["--native-allocations"])
{
    return NativeAllocationCensus.Run();
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
