using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Model.Losses;

/// <summary>
/// Landmark regression loss masked by visibility: the squared Euclidean distance between predicted and true landmark,
/// averaged over the visible landmarks of the batch, <c>sum_ij v_ij ||p_ij - t_ij||^2 / sum_ij v_ij</c>. Coordinates
/// are normalized (x / width, y / height). Invisible, truncated or unannotated landmarks (visibility 0) contribute
/// nothing, whatever their coordinates hold; a batch without a visible landmark gives 0.
/// </summary>
public sealed class LandmarkRegressionLoss : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    /// <summary>Creates the loss.</summary>
    public LandmarkRegressionLoss() : base(nameof(LandmarkRegressionLoss))
    {
    }

    /// <summary>Computes the loss.</summary>
    /// <param name="predicted">Predicted landmarks <c>[N, L, 2]</c>, floating point.</param>
    /// <param name="target">True landmarks <c>[N, L, 2]</c>.</param>
    /// <param name="visibility"><c>[N, L]</c>, nonzero where the true landmark is visible.</param>
    public override Tensor forward(Tensor predicted, Tensor target, Tensor visibility)
    {
        if (predicted.dim() != 3 || predicted.shape[2] != 2 || !predicted.is_floating_point())
            throw new ArgumentException($"Expected floating point predicted landmarks [N, L, 2], got {Describe(predicted)}.", nameof(predicted));
        if (!target.shape.SequenceEqual(predicted.shape))
            throw new ArgumentException($"Expected target landmarks of shape [{string.Join(", ", predicted.shape)}], got {Describe(target)}.", nameof(target));
        if (!visibility.shape.SequenceEqual(predicted.shape[..2]))
            throw new ArgumentException($"Expected visibility [{predicted.shape[0]}, {predicted.shape[1]}], got {Describe(visibility)}.", nameof(visibility));

        using var scope = NewDisposeScope();
        var visible = visibility.ne(0);
        // Unlabelled targets are replaced before the subtraction: a NaN placeholder would otherwise reach the gradient.
        var safeTarget = where(visible.unsqueeze(-1), target.to(predicted.dtype), predicted.detach());
        var squaredDistance = (predicted - safeTarget).square().sum(-1);
        return MaskedMean.Of(squaredDistance, visible).MoveToOuterDisposeScope();
    }

    internal static string Describe(Tensor t) => $"{t.dtype} [{string.Join(", ", t.shape)}]";
}
