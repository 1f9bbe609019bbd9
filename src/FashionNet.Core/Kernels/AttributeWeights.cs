using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Kernels;

/// <summary>
/// Per-attribute weights w_pos and w_neg for <see cref="WeightedAttributeLoss"/>, derived from a training set's
/// label counts so that rare labels are not drowned out.
/// </summary>
/// <remarks>
/// For an attribute with <c>P</c> positive and <c>Q</c> negative labelled examples (<c>T = P + Q</c>):
/// <c>w_pos = T / (2 P)</c> and <c>w_neg = T / (2 Q)</c>. Each label class then carries the same total weight
/// <c>T / 2</c>, and a balanced attribute gets weights of 1. An attribute with no positives or no negatives has
/// nothing to balance (and the formula would divide by zero), so it gets <c>w_pos = w_neg = 1</c>.
/// </remarks>
public sealed class AttributeWeights
{
    private readonly float[] _positive;
    private readonly float[] _negative;

    private AttributeWeights(float[] positive, float[] negative)
    {
        _positive = positive;
        _negative = negative;
    }

    /// <summary>w_pos per attribute.</summary>
    public IReadOnlyList<float> Positive => _positive;

    /// <summary>w_neg per attribute.</summary>
    public IReadOnlyList<float> Negative => _negative;

    /// <summary>Weights from per-attribute counts of positive and negative labels (unlabelled examples not counted).</summary>
    /// <param name="positiveCounts">Number of positive labels per attribute; non-negative.</param>
    /// <param name="negativeCounts">Number of negative labels per attribute; non-negative, same length.</param>
    /// <exception cref="ArgumentException">The lists differ in length or hold a negative count.</exception>
    public static AttributeWeights FromLabelCounts(IReadOnlyList<long> positiveCounts, IReadOnlyList<long> negativeCounts)
    {
        ArgumentNullException.ThrowIfNull(positiveCounts);
        ArgumentNullException.ThrowIfNull(negativeCounts);
        if (positiveCounts.Count != negativeCounts.Count)
        {
            throw new ArgumentException(
                $"Expected one count per attribute in both lists, got {positiveCounts.Count} positive and {negativeCounts.Count} negative counts.",
                nameof(negativeCounts));
        }
        var positive = new float[positiveCounts.Count];
        var negative = new float[positiveCounts.Count];
        for (var attribute = 0; attribute < positive.Length; attribute++)
        {
            var (p, q) = (positiveCounts[attribute], negativeCounts[attribute]);
            if (p < 0 || q < 0)
            {
                throw new ArgumentException(
                    $"Attribute {attribute} has a negative count ({p} positive, {q} negative).", p < 0 ? nameof(positiveCounts) : nameof(negativeCounts));
            }
            var balanced = p > 0 && q > 0;
            positive[attribute] = balanced ? (float)((p + q) / (2.0 * p)) : 1f;
            negative[attribute] = balanced ? (float)((p + q) / (2.0 * q)) : 1f;
        }
        return new AttributeWeights(positive, negative);
    }

    /// <summary>Weights from a label matrix: counts positives (target nonzero) and negatives (target zero) among labelled entries.</summary>
    /// <param name="targets">Labels <c>[N, A]</c> in {0, 1}, any numeric or bool dtype.</param>
    /// <param name="mask">Optional <c>[N, A]</c>: 0 marks an unlabelled entry, which is not counted.</param>
    /// <exception cref="ArgumentException">The shapes do not match <c>[N, A]</c>.</exception>
    public static AttributeWeights FromLabels(Tensor targets, Tensor? mask = null)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.dim() != 2)
        {
            throw new ArgumentException($"Expected shape [N, A], got [{string.Join(", ", targets.shape)}].", nameof(targets));
        }
        if (mask is not null && !mask.shape.SequenceEqual(targets.shape))
        {
            throw new ArgumentException($"Expected shape [{string.Join(", ", targets.shape)}], got [{string.Join(", ", mask.shape)}].", nameof(mask));
        }
        using var scope = NewDisposeScope();
        var labelled = mask is null ? ones(targets.shape, ScalarType.Bool, targets.device) : mask.ne(0);
        var positiveLabel = targets.ne(0);
        var positives = (labelled & positiveLabel).sum(0, type: ScalarType.Int64).cpu().data<long>().ToArray();
        var negatives = (labelled & positiveLabel.logical_not()).sum(0, type: ScalarType.Int64).cpu().data<long>().ToArray();
        return FromLabelCounts(positives, negatives);
    }

    /// <summary>The weights as two float32 tensors <c>[A]</c> (w_pos, w_neg), e.g. for the <see cref="WeightedAttributeLoss"/> constructor.</summary>
    /// <param name="device">Where to create them; the CPU when null.</param>
    public (Tensor Positive, Tensor Negative) ToTensors(Device? device = null) =>
        (tensor(_positive, device: device), tensor(_negative, device: device));
}
