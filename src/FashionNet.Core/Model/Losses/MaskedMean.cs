using static TorchSharp.torch;

namespace FashionNet.Model.Losses;

/// <summary>Reductions shared by the losses: means over labelled entries that stay finite and differentiable when nothing is labelled.</summary>
internal static class MaskedMean
{
    /// <summary>
    /// The mean of <paramref name="values"/> where <paramref name="labelled"/> is true, 0 when none is. Unlabelled
    /// entries are selected away (not multiplied by 0), so a NaN or infinity there cannot leak into the result.
    /// </summary>
    public static Tensor Of(Tensor values, Tensor labelled)
    {
        using var scope = NewDisposeScope();
        var kept = where(labelled, values, zeros_like(values));
        var count = labelled.count_nonzero().clamp_min(1).to(values.dtype);
        return (kept.sum() / count).MoveToOuterDisposeScope();
    }

    /// <summary>A zero scalar on <paramref name="source"/>'s graph (the sum of an empty slice): backward gives zero gradients, never NaN.</summary>
    public static Tensor ZeroFrom(Tensor source) => source.flatten().narrow(0, 0, 0).sum();
}
