using System.Collections.Concurrent;
using FashionNet.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Tests.Kernels;

/// <summary>
/// The custom functions' backward passes release the tensors they exchange with LibTorch, which TorchSharp leaves to
/// the finalizer. LibTorch runs a CUDA graph's backward on its own device thread, where no dispose scope is open. Here
/// each forward runs in a dispose scope on the test's thread, as a training step does, and each backward on one thread
/// of its own (a CPU graph's backward runs on the thread that calls it): that thread's count of live tensors must not
/// grow from one backward to the next.
/// </summary>
public class AutogradLifetimeTests
{
    [Theory]
    [MemberData(nameof(KernelBackends.OnCpuTensors), MemberType = typeof(KernelBackends))]
    public void LandmarkPoolingBackwardsOnAThreadWithoutADisposeScopeLeaveNoTensorBehind(KernelBackend backend) => AssertNoTensorLeftBehind(() =>
    {
        var features = randn(2, 3, 4, 4).requires_grad_(true);
        var pooled = KernelFunctional.LandmarkPool(features, full([2, 8, 2], 0.5f), ones(2, 8), new LandmarkPoolingOptions { Backend = backend });
        return pooled.sum();
    });

    [Theory]
    [MemberData(nameof(KernelBackends.OnCpuTensors), MemberType = typeof(KernelBackends))]
    public void WeightedAttributeLossBackwardsOnAThreadWithoutADisposeScopeLeaveNoTensorBehind(KernelBackend backend) => AssertNoTensorLeftBehind(() =>
    {
        var logits = randn(4, 5).requires_grad_(true);
        return KernelFunctional.WeightedAttributeLoss(logits, ones(4, 5), null, ones(5), ones(5), new WeightedAttributeLossOptions { Backend = backend });
    });

    private static void AssertNoTensorLeftBehind(Func<Tensor> forwardToScalar)
    {
        using var backwards = new BlockingCollection<(Tensor Loss, TaskCompletionSource<long> LiveAfter)>();
        var backwardThread = new Thread(() =>
        {
            foreach (var (loss, liveAfter) in backwards.GetConsumingEnumerable())
            {
                loss.backward();
                liveAfter.SetResult(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
            }
        });
        backwardThread.Start();
        long Step()
        {
            using var scope = NewDisposeScope();
            var liveAfter = new TaskCompletionSource<long>();
            backwards.Add((forwardToScalar(), liveAfter));
            return liveAfter.Task.Result;
        }

        try
        {
            // The first backward's results stay alive until the next backward on the thread releases them.
            long first = Step(), last = first;
            for (int i = 0; i < 10; i++) last = Step();
            Assert.Equal(first, last);
        }
        finally
        {
            backwards.CompleteAdding();
            backwardThread.Join();
        }
    }
}
