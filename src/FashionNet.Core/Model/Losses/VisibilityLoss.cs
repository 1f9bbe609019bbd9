using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Model.Losses;

/// <summary>
/// Landmark visibility loss: binary cross-entropy between one logit per landmark slot (visible vs not visible; the
/// paper's two-way softmax has exactly this form with the logit as the difference of its two scores) and the true
/// visibility, averaged over the labelled slots. Slots of samples without landmark annotations are masked out; a batch
/// with no labelled slot gives 0.
/// </summary>
public sealed class VisibilityLoss : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
    /// <summary>Creates the loss.</summary>
    public VisibilityLoss() : base(nameof(VisibilityLoss))
    {
    }

    /// <summary>Computes the loss.</summary>
    /// <param name="logits">Visibility logits <c>[N, L]</c>, floating point: positive means visible.</param>
    /// <param name="visible"><c>[N, L]</c>, nonzero where the landmark is visible.</param>
    /// <param name="labelled"><c>[N, L]</c>, nonzero where visibility is annotated; null when all are.</param>
    public override Tensor forward(Tensor logits, Tensor visible, Tensor? labelled)
    {
        if (logits.dim() != 2 || !logits.is_floating_point())
            throw new ArgumentException($"Expected floating point logits [N, L], got {LandmarkRegressionLoss.Describe(logits)}.", nameof(logits));
        if (!visible.shape.SequenceEqual(logits.shape))
            throw new ArgumentException($"Expected visibility of shape [{string.Join(", ", logits.shape)}], got {LandmarkRegressionLoss.Describe(visible)}.", nameof(visible));
        if (labelled is not null && !labelled.shape.SequenceEqual(logits.shape))
            throw new ArgumentException($"Expected a mask of shape [{string.Join(", ", logits.shape)}], got {LandmarkRegressionLoss.Describe(labelled)}.", nameof(labelled));

        using var scope = NewDisposeScope();
        var perSlot = nn.functional.binary_cross_entropy_with_logits(logits, visible.ne(0).to(logits.dtype), reduction: nn.Reduction.None);
        var mask = labelled is null ? ones_like(logits, ScalarType.Bool) : labelled.ne(0);
        return MaskedMean.Of(perSlot, mask).MoveToOuterDisposeScope();
    }
}
