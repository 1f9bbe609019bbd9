using TorchSharp;

namespace FashionNet.Kernels.Cpu;

/// <summary>
/// The weighted attribute loss in managed code over the tensors' own memory: one pass writes each entry's loss and
/// its derivative with respect to the logit, from a single exponential. Arithmetic is in float64 so that the loss
/// stays accurate to float32 precision even where it is tiny (large logits on the correct side).
/// </summary>
internal sealed unsafe class CpuWeightedAttributeLossKernel : IWeightedAttributeLossKernel
{
    /// <summary>The kernel holds no state; one instance serves every call.</summary>
    public static CpuWeightedAttributeLossKernel Instance { get; } = new();

    /// <summary>A range of fewer entries than this is not worth a thread-pool work item.</summary>
    private const long MinimumEntriesPerRange = 4096;

    private CpuWeightedAttributeLossKernel()
    {
    }

    /// <inheritdoc />
    public void Forward(torch.Tensor logits, torch.Tensor targets, torch.Tensor? mask, torch.Tensor posWeight, torch.Tensor negWeight,
        torch.Tensor loss, torch.Tensor gradLogits)
    {
        var entries = logits.numel();
        if (entries == 0)
        {
            return;
        }
        var body = new Body(
            TensorMemory.Pointer<float>(logits), TensorMemory.Pointer<float>(targets),
            mask is null ? null : TensorMemory.Pointer<float>(mask),
            TensorMemory.Pointer<float>(posWeight), TensorMemory.Pointer<float>(negWeight),
            TensorMemory.Pointer<float>(loss), TensorMemory.Pointer<float>(gradLogits),
            (int)logits.shape[1]);
        ParallelRanges.Run(entries, MinimumEntriesPerRange, body);
    }

    /// <summary>
    /// <c>log(1 + t)</c> for <c>t</c> in <c>[0, 1]</c>, accurate to float64 rounding relative to the result
    /// (<c>1 + t</c> alone would lose <c>t</c> below about 1e-16).
    /// </summary>
    private static double Log1p(double t) => t < 1e-8 ? t * (1 - 0.5 * t) : Math.Log(1 + t);

    private readonly struct Body(
        float* logits, float* targets, float* mask, float* posWeight, float* negWeight, float* loss, float* gradLogits, int attributes)
        : IRangeBody
    {
        public void Run(long start, long end)
        {
            for (var i = start; i < end; i++)
            {
                if (mask != null && mask[i] == 0)
                {
                    loss[i] = 0f;
                    gradLogits[i] = 0f;
                    continue;
                }
                var attribute = (int)(i % attributes);
                double x = logits[i];
                double y = targets[i];
                double positive = posWeight[attribute] * y;
                double negative = negWeight[attribute] * (1 - y);

                // With t = exp(-|x|) in (0, 1]: softplus(x) = max(x, 0) + log1p(t), softplus(-x) = max(-x, 0) + log1p(t),
                // sigmoid(x) = 1 / (1 + t) for x >= 0 and t / (1 + t) otherwise. Nothing overflows for any finite x.
                var t = Math.Exp(-Math.Abs(x));
                var log1pT = Log1p(t);
                var softplusX = Math.Max(x, 0) + log1pT;
                var softplusMinusX = Math.Max(-x, 0) + log1pT;
                var sigmoid = x >= 0 ? 1 / (1 + t) : t / (1 + t);
                var oneMinusSigmoid = x >= 0 ? t / (1 + t) : 1 / (1 + t);

                // -log sigmoid(x) = softplus(-x), -log(1 - sigmoid(x)) = softplus(x).
                loss[i] = (float)(positive * softplusMinusX + negative * softplusX);
                gradLogits[i] = (float)(negative * sigmoid - positive * oneMinusSigmoid);
            }
        }
    }
}
