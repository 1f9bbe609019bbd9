using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Kernels.Reference;

/// <summary>
/// The weighted attribute loss as plain tensor operations differentiated by autograd: the oracle of the kernels
/// and the benchmark baseline. <c>logsigmoid</c> is PyTorch's stable form, so no logit overflows.
/// </summary>
internal static class ReferenceWeightedAttributeLoss
{
    /// <summary>All tensors validated by the caller; mask null when every entry is labelled.</summary>
    public static Tensor Forward(Tensor logits, Tensor targets, Tensor? mask, Tensor posWeight, Tensor negWeight, LossReduction reduction)
    {
        using var scope = NewDisposeScope();
        var perEntry = -(posWeight * targets * nn.functional.logsigmoid(logits)
                         + negWeight * (1 - targets) * nn.functional.logsigmoid(-logits));
        Tensor? labelled = mask is null ? null : mask != 0;
        if (labelled is not null)
        {
            perEntry = where(labelled, perEntry, zeros_like(perEntry));
        }
        var result = reduction switch
        {
            LossReduction.None => perEntry,
            LossReduction.Sum => perEntry.sum(),
            _ => perEntry.sum() / LossReductions.MeanDivisor(logits, labelled),
        };
        return scope.MoveToOuter(result);
    }
}
