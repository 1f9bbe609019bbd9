using BenchmarkDotNet.Attributes;
using FashionNet.Kernels;
using static TorchSharp.torch;

namespace FashionNet.Benchmarks;

/// <summary>
/// Landmark pooling forward + backward at FashionNet's shape: conv4 features N=32, C=512, 28 x 28 from 224 x 224
/// images, L=8 landmarks, K=3, P=1. Each invocation computes the pooled features and their gradient with respect to
/// the features, in one dispose scope.
/// </summary>
[MemoryDiagnoser]
public class LandmarkPoolingBenchmarks
{
    private const int Batch = 32, Channels = 512, MapSize = 28, LandmarkCount = 8;

    private Tensor _features = null!;
    private Tensor _landmarks = null!;
    private Tensor _visibility = null!;
    private Tensor _gradOutput = null!;

    [GlobalSetup]
    public void Setup()
    {
        var generator = new Generator(2016);
        _features = randn([Batch, Channels, MapSize, MapSize], generator: generator).requires_grad_(true);
        _landmarks = rand([Batch, LandmarkCount, 2], generator: generator);
        // About one landmark in eight invisible, as for clothes in DeepFashion.
        _visibility = (rand([Batch, LandmarkCount], generator: generator) > 0.125f).to(ScalarType.Float32);
        _gradOutput = randn([Batch, LandmarkCount, Channels, 1, 1], generator: generator);
    }

    [Benchmark(Baseline = true)]
    public void Reference() => ForwardBackward(KernelBackend.Reference);

    [Benchmark]
    public void CpuKernel() => ForwardBackward(KernelBackend.Cpu);

    /// <summary>
    /// Not an implementation: what a fresh, zero-filled feature gradient of this shape (51 MB) costs through
    /// <c>torch.zeros</c>, the work every dense-gradient backward has to beat.
    /// </summary>
    [Benchmark]
    public void FreshDenseGradient()
    {
        using var gradient = zeros([Batch, Channels, MapSize, MapSize]);
    }

    private void ForwardBackward(KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        var options = new LandmarkPoolingOptions { Backend = backend };
        var pooled = KernelFunctional.LandmarkPool(_features, _landmarks, _visibility, options);
        autograd.grad([pooled], [_features], [_gradOutput]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _features.Dispose();
        _landmarks.Dispose();
        _visibility.Dispose();
        _gradOutput.Dispose();
    }
}
