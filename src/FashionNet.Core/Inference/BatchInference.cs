using FashionNet.Data.Loading;
using static TorchSharp.torch;

namespace FashionNet.Inference;

/// <summary>
/// The one loop every inference pass over a dataset runs: each batch of a (sequential, deterministic) loader is handed
/// to a callback without gradient recording, inside its own dispose scope, and disposed afterwards. The callback keeps
/// what it needs by moving tensors out of the scope (<c>MoveToOuterDisposeScope</c>) or copying them to arrays.
/// </summary>
internal static class BatchInference
{
    /// <summary>Runs <paramref name="perBatch"/> on every batch of epoch 0 of <paramref name="loader"/>, in order.</summary>
    public static void Run(FashionDataLoader loader, Action<FashionBatch> perBatch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentNullException.ThrowIfNull(perBatch);
        using var noGrad = no_grad();
        foreach (var batch in loader.ReadEpoch(0, cancellationToken))
        {
            using (batch)
            using (NewDisposeScope())
            {
                perBatch(batch);
            }
        }
    }

    /// <summary>The parts stacked along dimension 0 (an empty <c>[0, columns]</c> tensor when there are none), then disposed.</summary>
    public static Tensor Concatenate(List<Tensor> parts, long columns)
    {
        try
        {
            return parts.Count == 0 ? zeros([0, columns], device: CPU) : cat(parts, 0);
        }
        finally
        {
            foreach (var part in parts) part.Dispose();
            parts.Clear();
        }
    }
}
