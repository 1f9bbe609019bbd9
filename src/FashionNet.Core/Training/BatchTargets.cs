using FashionNet.Data.Loading;
using static TorchSharp.torch;

namespace FashionNet.Training;

/// <summary>The model-side view of a batch's landmark labels, shared by the forward pass and the objective.</summary>
internal static class BatchTargets
{
    /// <summary>Landmarks <c>[N, 8, 2]</c> in [0, 1] of the network input (x / width, y / height), as the pose branch predicts them.</summary>
    public static Tensor NormalizedLandmarks(FashionBatch batch)
    {
        using var inputSize = tensor(new float[] { batch.Images.shape[3], batch.Images.shape[2] });
        return batch.Landmarks / inputSize;
    }

    /// <summary>Bool <c>[N, 8]</c>: the slot is annotated and its landmark visible (code 0).</summary>
    public static Tensor VisibleLandmarks(FashionBatch batch) => batch.Visibility.eq(0).logical_and(batch.Presence);
}
