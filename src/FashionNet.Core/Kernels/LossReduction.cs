using TorchSharp;

namespace FashionNet.Kernels;

/// <summary>How a per-entry loss is reduced to the returned value.</summary>
public enum LossReduction
{
    /// <summary>The mean over labelled entries (mask nonzero, or all entries without a mask); 0 when none is labelled.</summary>
    Mean,

    /// <summary>The sum over all entries (unlabelled entries contribute 0).</summary>
    Sum,

    /// <summary>No reduction: the per-entry loss, 0 at unlabelled entries.</summary>
    None,
}

/// <summary>Reduction helpers shared by every implementation of a loss.</summary>
internal static class LossReductions
{
    /// <summary>
    /// The divisor of <see cref="LossReduction.Mean"/> as a scalar tensor of the logits' dtype and device: the number of
    /// labelled entries, at least 1 so that a batch with nothing labelled gives a loss of 0 instead of NaN. It stays a
    /// tensor so that a CUDA mask is never copied to the host.
    /// </summary>
    public static torch.Tensor MeanDivisor(torch.Tensor logits, torch.Tensor? labelled) =>
        labelled is null
            ? torch.tensor((double)Math.Max(logits.numel(), 1), logits.dtype, logits.device)
            : labelled.count_nonzero().clamp_min(1).to(logits.dtype);
}
