using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Kernels;

/// <summary>
/// FashionNet's attribute loss: binary cross-entropy per attribute with separate weights for positive and negative
/// labels, <c>-(w_pos * y * log sigmoid(x) + w_neg * (1 - y) * log(1 - sigmoid(x)))</c>, computed stably, with
/// unlabelled entries masked out. The weights are buffers, so <c>.to(device)</c> moves them and they are saved with
/// the state dict. Gradients reach the logits only.
/// </summary>
public sealed class WeightedAttributeLoss : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
    // Field names match the buffer names: TorchSharp's Module.to() replaces fields by name when it moves buffers.
#pragma warning disable IDE1006 // Naming: TorchSharp binds buffers to fields of the same name.
    private Tensor positive_weights;
    private Tensor negative_weights;
#pragma warning restore IDE1006
    private readonly WeightedAttributeLossOptions _options;

    /// <summary>Creates the loss.</summary>
    /// <param name="positiveWeights">w_pos <c>[A]</c>, floating point; copied into a buffer.</param>
    /// <param name="negativeWeights">w_neg <c>[A]</c>, floating point, same device; copied into a buffer.</param>
    /// <param name="options">Reduction and backend; null for the defaults.</param>
    /// <exception cref="ArgumentException">The weights are not two 1-D floating-point tensors of the same length and device, or an option is invalid.</exception>
    public WeightedAttributeLoss(Tensor positiveWeights, Tensor negativeWeights, WeightedAttributeLossOptions? options = null)
        : base(nameof(WeightedAttributeLoss))
    {
        ArgumentNullException.ThrowIfNull(positiveWeights);
        ArgumentNullException.ThrowIfNull(negativeWeights);
        if (positiveWeights.dim() != 1 || !positiveWeights.is_floating_point())
        {
            throw new ArgumentException($"Expected a 1-D floating-point tensor [A], got {positiveWeights.dtype} [{string.Join(", ", positiveWeights.shape)}].", nameof(positiveWeights));
        }
        if (negativeWeights.dim() != 1 || !negativeWeights.is_floating_point() || negativeWeights.shape[0] != positiveWeights.shape[0]
            || !KernelFunctional.OnSameDevice(negativeWeights, positiveWeights))
        {
            throw new ArgumentException(
                $"Expected a 1-D floating-point tensor [{positiveWeights.shape[0]}] on {positiveWeights.device}, got {negativeWeights.dtype} [{string.Join(", ", negativeWeights.shape)}] on {negativeWeights.device}.",
                nameof(negativeWeights));
        }
        _options = options ?? new WeightedAttributeLossOptions();
        _options.Validate(nameof(options));
        positive_weights = positiveWeights.detach().clone().DetachFromDisposeScope();
        negative_weights = negativeWeights.detach().clone().DetachFromDisposeScope();
        register_buffer(nameof(positive_weights), positive_weights);
        register_buffer(nameof(negative_weights), negative_weights);
    }

    /// <summary>The loss's settings.</summary>
    public WeightedAttributeLossOptions Options => _options;

    /// <summary>w_pos <c>[A]</c>.</summary>
    public Tensor PositiveWeights => positive_weights;

    /// <summary>w_neg <c>[A]</c>.</summary>
    public Tensor NegativeWeights => negative_weights;

    /// <summary>Computes the loss; see <see cref="KernelFunctional.WeightedAttributeLoss"/> for the argument contract.</summary>
    /// <param name="logits">Logits <c>[N, A]</c>.</param>
    /// <param name="targets">Targets <c>[N, A]</c> in {0, 1}.</param>
    /// <param name="mask">Optional <c>[N, A]</c>, 0 = unlabelled; null when every entry is labelled.</param>
    /// <returns>The reduced loss (a scalar), or <c>[N, A]</c> with <see cref="LossReduction.None"/>.</returns>
    public override Tensor forward(Tensor logits, Tensor targets, Tensor? mask) =>
        KernelFunctional.WeightedAttributeLoss(logits, targets, mask, positive_weights, negative_weights, _options);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            positive_weights.Dispose();
            negative_weights.Dispose();
        }
        base.Dispose(disposing);
    }
}
