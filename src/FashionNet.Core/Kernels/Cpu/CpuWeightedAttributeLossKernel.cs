using System.Runtime.Intrinsics;
using TorchSharp;

namespace FashionNet.Kernels.Cpu;

/// <summary>
/// The weighted attribute loss in managed code over the tensors' own memory: one SIMD pass (<see cref="Vector256{T}"/>)
/// writes each entry's loss and its derivative with respect to the logit, from a single exponential and logarithm.
/// <c>log1p</c> keeps float32 relative precision for tiny losses (large logits on the correct side) instead of
/// rounding them to 0.
/// </summary>
internal sealed unsafe class CpuWeightedAttributeLossKernel : IWeightedAttributeLossKernel
{
    /// <summary>The kernel holds no state; one instance serves every call.</summary>
    public static CpuWeightedAttributeLossKernel Instance { get; } = new();

    /// <summary>A range of fewer entries than this is not worth handing to another thread.</summary>
    private const long MinimumEntriesPerRange = 16384;

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
    /// Loss and dLoss/dLogit of eight entries. With t = exp(-|x|) in (0, 1]:
    /// softplus(±x) = max(±x, 0) + log1p(t), sigmoid(x) = 1 / (1 + t) for x ≥ 0 and t / (1 + t) otherwise, so nothing
    /// overflows for any finite x; -log sigmoid(x) = softplus(-x) and -log(1 - sigmoid(x)) = softplus(x).
    /// </summary>
    private static (Vector256<float> Loss, Vector256<float> Gradient) Evaluate(
        Vector256<float> x, Vector256<float> y, Vector256<float> labelled, Vector256<float> posWeight, Vector256<float> negWeight)
    {
        var positive = posWeight * y;
        var negative = negWeight * (Vector256<float>.One - y);
        var t = Vector256.Exp(-Vector256.Abs(x));
        var u = Vector256<float>.One + t;
        var reciprocal = Vector256<float>.One / u;
        // log1p(t) = log(u) + (t - (u - 1)) / u: the second term restores what rounding u = 1 + t lost, so tiny t keeps
        // its relative precision (when u rounds to 1 the result is exactly t).
        var log1pT = Vector256.Log(u) + (t - (u - Vector256<float>.One)) * reciprocal;
        var softplusX = Vector256.Max(x, Vector256<float>.Zero) + log1pT;
        var softplusMinusX = Vector256.Max(-x, Vector256<float>.Zero) + log1pT;
        var nonNegative = Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero);
        var sigmoid = Vector256.ConditionalSelect(nonNegative, reciprocal, t * reciprocal);
        var oneMinusSigmoid = Vector256.ConditionalSelect(nonNegative, t * reciprocal, reciprocal);

        var keep = ~Vector256.Equals(labelled, Vector256<float>.Zero);
        var loss = Vector256.ConditionalSelect(keep, positive * softplusMinusX + negative * softplusX, Vector256<float>.Zero);
        var gradient = Vector256.ConditionalSelect(keep, negative * sigmoid - positive * oneMinusSigmoid, Vector256<float>.Zero);
        return (loss, gradient);
    }

    private readonly struct Body(
        float* logits, float* targets, float* mask, float* posWeight, float* negWeight, float* loss, float* gradLogits, int attributes)
        : IRangeBody
    {
        public void Run(long start, long end)
        {
            // Walk row segments so that the weights are read contiguously alongside the row.
            for (var rowStart = start - start % attributes; rowStart < end; rowStart += attributes)
            {
                var first = (int)Math.Max(start - rowStart, 0);
                var last = (int)Math.Min(end - rowStart, attributes);
                var column = first;
                for (; column <= last - Vector256<float>.Count; column += Vector256<float>.Count)
                {
                    var entry = rowStart + column;
                    var (entryLoss, gradient) = Evaluate(
                        Vector256.Load(logits + entry), Vector256.Load(targets + entry),
                        mask == null ? Vector256<float>.One : Vector256.Load(mask + entry),
                        Vector256.Load(posWeight + column), Vector256.Load(negWeight + column));
                    Vector256.Store(entryLoss, loss + entry);
                    Vector256.Store(gradient, gradLogits + entry);
                }
                if (column < last)
                {
                    Tail(rowStart, column, last);
                }
            }
        }

        /// <summary>The last entries of a row segment, through a zero-padded vector so that they follow the same arithmetic.</summary>
        private void Tail(long rowStart, int first, int last)
        {
            var width = Vector256<float>.Count;
            Span<float> lanes = stackalloc float[5 * width]; // x, y, labelled, w_pos, w_neg; zero padding is harmless
            lanes.Clear();
            for (var lane = 0; lane < last - first; lane++)
            {
                var entry = rowStart + first + lane;
                lanes[lane] = logits[entry];
                lanes[width + lane] = targets[entry];
                lanes[2 * width + lane] = mask == null ? 1f : mask[entry];
                lanes[3 * width + lane] = posWeight[first + lane];
                lanes[4 * width + lane] = negWeight[first + lane];
            }
            var (entryLoss, gradient) = Evaluate(
                Vector256.Create<float>(lanes[..width]), Vector256.Create<float>(lanes.Slice(width, width)), Vector256.Create<float>(lanes.Slice(2 * width, width)),
                Vector256.Create<float>(lanes.Slice(3 * width, width)), Vector256.Create<float>(lanes.Slice(4 * width, width)));
            for (var lane = 0; lane < last - first; lane++)
            {
                loss[rowStart + first + lane] = entryLoss[lane];
                gradLogits[rowStart + first + lane] = gradient[lane];
            }
        }
    }
}
