using BenchmarkDotNet.Attributes;
using static TorchSharp.torch;

namespace FashionNet.Benchmarks;

/// <summary>A calibration point for the machine: one 512x512 float32 matrix product with its backward pass.</summary>
[MemoryDiagnoser]
public class TorchSetupBenchmarks
{
    private Tensor _a = null!;
    private Tensor _b = null!;

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(0);
        _a = randn(512, 512, requires_grad: true);
        _b = randn(512, 512);
    }

    [Benchmark]
    public void MatMulForwardBackward()
    {
        using var scope = NewDisposeScope();
        matmul(_a, _b).sum().backward();
        _a.grad!.zero_();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _a.Dispose();
        _b.Dispose();
    }
}
