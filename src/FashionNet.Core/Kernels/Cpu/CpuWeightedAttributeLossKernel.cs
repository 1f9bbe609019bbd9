using System.Numerics;
using TorchSharp;

namespace FashionNet.Kernels.Cpu;

/// <summary>
/// The weighted attribute loss in managed code over the tensors' own memory: one SIMD pass (<see cref="Vector{T}"/>)
/// writes each entry's loss and its derivative with respect to the logit, from a single exponential and logarithm.
/// <c>log1p</c> is evaluated with Goldberg's correction so that tiny losses (large logits on the correct side) keep
/// float32 relative precision instead of rounding to 0.
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
    /// Loss and dLoss/dLogit of <see cref="Vector{T}.Count"/> entries. With t = exp(-|x|) in (0, 1]:
    /// softplus(±x) = max(±x, 0) + log1p(t), sigmoid(x) = 1 / (1 + t) for x ≥ 0 and t / (1 + t) otherwise, so nothing
    /// overflows for any finite x; -log sigmoid(x) = softplus(-x) and -log(1 - sigmoid(x)) = softplus(x).
    /// </summary>
    private static (Vector<float> Loss, Vector<float> Gradient) Evaluate(
        Vector<float> x, Vector<float> y, Vector<float> labelled, Vector<float> posWeight, Vector<float> negWeight)
    {
        var positive = posWeight * y;
        var negative = negWeight * (Vector<float>.One - y);
        var t = Vector.Exp(-Vector.Abs(x));
        var u = Vector<float>.One + t;
        var roundedT = u - Vector<float>.One;
        // Goldberg: log(1 + t) = log(u) * t / (u - 1), exact to a few ulps; u - 1 == 0 means t is below rounding, log1p(t) = t.
        var log1pT = Vector.ConditionalSelect(Vector.Equals(roundedT, Vector<float>.Zero), t, Vector.Log(u) * (t / roundedT));
        var softplusX = Vector.Max(x, Vector<float>.Zero) + log1pT;
        var softplusMinusX = Vector.Max(-x, Vector<float>.Zero) + log1pT;
        var reciprocal = Vector<float>.One / u;
        var nonNegative = Vector.GreaterThanOrEqual(x, Vector<float>.Zero);
        var sigmoid = Vector.ConditionalSelect(nonNegative, reciprocal, t * reciprocal);
        var oneMinusSigmoid = Vector.ConditionalSelect(nonNegative, t * reciprocal, reciprocal);

        var keep = ~Vector.Equals(labelled, Vector<float>.Zero);
        var loss = Vector.ConditionalSelect(keep, positive * softplusMinusX + negative * softplusX, Vector<float>.Zero);
        var gradient = Vector.ConditionalSelect(keep, negative * sigmoid - positive * oneMinusSigmoid, Vector<float>.Zero);
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
                for (; column <= last - Vector<float>.Count; column += Vector<float>.Count)
                {
                    var entry = rowStart + column;
                    var (entryLoss, gradient) = Evaluate(
                        Vector.Load(logits + entry), Vector.Load(targets + entry),
                        mask == null ? Vector<float>.One : Vector.Load(mask + entry),
                        Vector.Load(posWeight + column), Vector.Load(negWeight + column));
                    entryLoss.Store(loss + entry);
                    gradient.Store(gradLogits + entry);
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
            var width = Vector<float>.Count;
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
                new Vector<float>(lanes[..width]), new Vector<float>(lanes.Slice(width, width)), new Vector<float>(lanes.Slice(2 * width, width)),
                new Vector<float>(lanes.Slice(3 * width, width)), new Vector<float>(lanes.Slice(4 * width, width)));
            for (var lane = 0; lane < last - first; lane++)
            {
                loss[rowStart + first + lane] = entryLoss[lane];
                gradLogits[rowStart + first + lane] = gradient[lane];
            }
        }
    }
}
