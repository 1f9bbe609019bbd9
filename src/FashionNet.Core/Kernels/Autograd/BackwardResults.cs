using static TorchSharp.torch;

namespace FashionNet.Kernels.Autograd;

/// <summary>
/// Releases the tensors a custom function's backward exchanges with LibTorch, which TorchSharp leaves to the finalizer:
/// the incoming gradient's wrapper and the returned gradients. A CUDA graph's backward runs on LibTorch's device thread,
/// where no dispose scope is open, so without this every step would keep a feature-map-sized gradient on the GPU until
/// a garbage collection (the GPU check ran out of its 140 GB this way). LibTorch copies a backward's results as soon as
/// it returns, so the next backward on the same thread may dispose them.
/// </summary>
internal static class BackwardResults
{
    [ThreadStatic]
    private static List<Tensor>? handedOver;

    /// <summary>Disposes what the previous backward on this thread returned; call it first in backward.</summary>
    public static void ReleasePrevious()
    {
        if (handedOver is null) return;
        foreach (var tensor in handedOver) tensor.Dispose();
        handedOver.Clear();
    }

    /// <summary>A gradient to return from backward, disposed by the next backward on this thread.</summary>
    public static Tensor HandOver(Tensor gradient)
    {
        (handedOver ??= []).Add(gradient);
        return gradient;
    }
}
