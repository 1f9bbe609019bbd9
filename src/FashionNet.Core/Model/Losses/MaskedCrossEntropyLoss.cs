using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Model.Losses;

/// <summary>
/// Softmax cross-entropy over classes (category, item id) for samples whose label is known: a negative label marks a
/// sample without one, which is left out of the mean; a batch without any label gives 0.
/// </summary>
public sealed class MaskedCrossEntropyLoss : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>Creates the loss.</summary>
    public MaskedCrossEntropyLoss() : base(nameof(MaskedCrossEntropyLoss))
    {
    }

    /// <summary>Computes the loss.</summary>
    /// <param name="logits">Class logits <c>[N, K]</c>, floating point.</param>
    /// <param name="labels">Class indices <c>[N]</c>, integer, in <c>[0, K)</c>, or negative for a missing label.</param>
    /// <exception cref="ArgumentException">A shape or dtype is wrong, or a label is <c>&gt;= K</c>.</exception>
    public override Tensor forward(Tensor logits, Tensor labels)
    {
        if (logits.dim() != 2 || !logits.is_floating_point())
            throw new ArgumentException($"Expected floating point logits [N, K], got {LandmarkRegressionLoss.Describe(logits)}.", nameof(logits));
        if (labels.dim() != 1 || labels.shape[0] != logits.shape[0] || labels.is_floating_point() || labels.dtype == ScalarType.Bool)
            throw new ArgumentException($"Expected integer labels [{logits.shape[0]}], got {LandmarkRegressionLoss.Describe(labels)}.", nameof(labels));

        using var scope = NewDisposeScope();
        var labelled = labels.ge(0);
        if (labels.numel() > 0 && labels.max().item<long>() >= logits.shape[1])
            throw new ArgumentException($"A label is >= the number of classes {logits.shape[1]}.", nameof(labels));
        var safeLabels = where(labelled, labels, zeros_like(labels)).to(ScalarType.Int64);
        var negativeLogLikelihood = -nn.functional.log_softmax(logits, 1).gather(1, safeLabels.unsqueeze(1)).squeeze(1);
        return MaskedMean.Of(negativeLogLikelihood, labelled).MoveToOuterDisposeScope();
    }
}
