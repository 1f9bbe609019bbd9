using BenchmarkDotNet.Attributes;
using FashionNet.Kernels;
using static TorchSharp.torch;

namespace FashionNet.Benchmarks;

/// <summary>
/// Weighted attribute loss forward + backward at FashionNet's shape: N=32 images, A=1000 attributes, all labelled,
/// mean reduction. Each invocation computes the loss and its gradient with respect to the logits, in one dispose scope.
/// </summary>
[MemoryDiagnoser]
public class WeightedAttributeLossBenchmarks
{
    private const int Batch = 32, Attributes = 1000;

    private Tensor _logits = null!;
    private Tensor _targets = null!;
    private Tensor _positiveWeights = null!;
    private Tensor _negativeWeights = null!;

    [GlobalSetup]
    public void Setup()
    {
        var generator = new Generator(2016);
        _logits = (randn([Batch, Attributes], generator: generator) * 3).requires_grad_(true);
        // DeepFashion's attributes are sparse: a few percent positive.
        _targets = (rand([Batch, Attributes], generator: generator) < 0.03f).to(ScalarType.Float32);
        (_positiveWeights, _negativeWeights) = AttributeWeights.FromLabels(_targets).ToTensors();
    }

    [Benchmark(Baseline = true)]
    public void Reference() => ForwardBackward(KernelBackend.Reference);

    [Benchmark]
    public void CpuKernel() => ForwardBackward(KernelBackend.Cpu);

    private void ForwardBackward(KernelBackend backend)
    {
        using var scope = NewDisposeScope();
        var options = new WeightedAttributeLossOptions { Backend = backend };
        var loss = KernelFunctional.WeightedAttributeLoss(_logits, _targets, null, _positiveWeights, _negativeWeights, options);
        autograd.grad([loss], [_logits]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _logits.Dispose();
        _targets.Dispose();
        _positiveWeights.Dispose();
        _negativeWeights.Dispose();
    }
}
