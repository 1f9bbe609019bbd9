using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Kernels.Autograd;

/// <summary>
/// Wires an <see cref="IWeightedAttributeLossKernel"/> into autograd. The kernel's forward also yields dLoss/dLogits
/// per entry, so backward is one scaling by the incoming gradient (divided by the labelled count for the mean).
/// Gradient flows to the logits only.
/// </summary>
internal sealed class WeightedAttributeLossFunction : autograd.SingleTensorFunction<WeightedAttributeLossFunction>
{
    public override string Name => nameof(WeightedAttributeLossFunction);

    /// <summary>Runs the kernel under autograd; all tensors validated, contiguous float32 on one device.</summary>
    public static Tensor Apply(Tensor logits, Tensor targets, Tensor? mask, Tensor posWeight, Tensor negWeight,
        LossReduction reduction, IWeightedAttributeLossKernel kernel) =>
        apply(logits, targets, mask!, posWeight, negWeight, reduction, kernel);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (logits, targets, mask) = ((Tensor)vars[0], (Tensor)vars[1], vars[2] as Tensor);
        var (posWeight, negWeight) = ((Tensor)vars[3], (Tensor)vars[4]);
        var reduction = (LossReduction)vars[5];
        var kernel = (IWeightedAttributeLossKernel)vars[6];

        var loss = empty_like(logits);
        var gradLogits = empty_like(logits);
        kernel.Forward(logits, targets, mask, posWeight, negWeight, loss, gradLogits);

        Tensor result;
        switch (reduction)
        {
            case LossReduction.None:
                result = loss;
                break;
            case LossReduction.Sum:
                result = loss.sum();
                break;
            default:
                // Fold the mean's divisor into the saved derivative now, so backward stays a single multiplication.
                using (var divisor = LossReductions.MeanDivisor(logits, mask))
                {
                    result = loss.sum().div_(divisor);
                    gradLogits.div_(divisor);
                }
                break;
        }
        ctx.save_for_backward([gradLogits]);
        return result;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        BackwardResults.ReleasePrevious();
        var gradLogits = ctx.get_saved_variables()[0];
        // grad_output is a scalar for Sum and Mean and [N, A] for None: broadcasting covers both.
        var gradInput = gradLogits.mul(grad_output);
        gradLogits.Dispose();
        grad_output.Dispose();
        return [BackwardResults.HandOver(gradInput), null!, null!, null!, null!, null!, null!];
    }
}
