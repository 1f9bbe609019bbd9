using ILGPU;

namespace FashionNet.Kernels.Gpu;

/// <summary>
/// The operators as ILGPU kernels, one thread per output element. Run on ILGPU's CPU accelerator for tests, and
/// compiled to PTX (<see cref="IlgpuPtx"/>) for CUDA tensors. Each mirrors its CUDA C twin in <c>native/</c> line
/// by line, with the same parameter list: element count, buffers as views, then scalars.
/// </summary>
internal static class IlgpuKernels
{
    /// <summary>
    /// Landmark pooling forward, output <c>[N, L, C, P, P]</c>: the landmark's cell, its K x K window (not clipped),
    /// bin (ph, pw) of it by RoIPool's floor/ceil rule, intersected with the map and max-pooled (first maximum in
    /// row-major order). Invisible landmarks and empty bins give 0 with argmax -1.
    /// </summary>
    public static void LandmarkPoolingForward(
        Index1D index,
        ArrayView<float> features,
        ArrayView<float> landmarks,
        ArrayView<float> visibility,
        ArrayView<float> output,
        ArrayView<int> argmax,
        LandmarkPoolingGeometry geometry)
    {
        int bins = geometry.Bins;
        int pw = index % bins;
        int ph = index / bins % bins;
        int channel = index / (bins * bins) % geometry.Channels;
        int landmark = index / (bins * bins * geometry.Channels); // n * L + l
        int sample = landmark / geometry.Landmarks;

        float bestValue = 0f;
        int bestCell = -1;
        if (visibility[landmark] != 0f)
        {
            int window = geometry.WindowSize;
            int radius = window / 2;
            int cx = LandmarkCell(landmarks[2 * landmark], geometry.Width, radius);
            int cy = LandmarkCell(landmarks[2 * landmark + 1], geometry.Height, radius);
            int hStart = cy - radius + ph * window / bins;
            int hEnd = cy - radius + ((ph + 1) * window + bins - 1) / bins;
            int wStart = cx - radius + pw * window / bins;
            int wEnd = cx - radius + ((pw + 1) * window + bins - 1) / bins;
            hStart = hStart < 0 ? 0 : hStart;
            wStart = wStart < 0 ? 0 : wStart;
            hEnd = hEnd > geometry.Height ? geometry.Height : hEnd;
            wEnd = wEnd > geometry.Width ? geometry.Width : wEnd;
            if (hEnd > hStart && wEnd > wStart)
            {
                long plane = ((long)sample * geometry.Channels + channel) * geometry.Height * geometry.Width;
                bestCell = hStart * geometry.Width + wStart;
                bestValue = features[plane + bestCell];
                for (int h = hStart; h < hEnd; h++)
                {
                    for (int w = wStart; w < wEnd; w++)
                    {
                        int cell = h * geometry.Width + w;
                        float value = features[plane + cell];
                        if (value > bestValue)
                        {
                            bestValue = value;
                            bestCell = cell;
                        }
                    }
                }
            }
        }
        output[index] = bestValue;
        argmax[index] = bestCell;
    }

    /// <summary>Landmark pooling backward: adds each output gradient to its argmax cell (atomically: windows overlap).</summary>
    public static void LandmarkPoolingBackward(
        Index1D index,
        ArrayView<float> gradOutput,
        ArrayView<int> argmax,
        ArrayView<float> gradFeatures,
        LandmarkPoolingGeometry geometry)
    {
        int cell = argmax[index];
        if (cell < 0)
            return;
        int bins = geometry.Bins;
        int channel = index / (bins * bins) % geometry.Channels;
        int sample = index / (bins * bins * geometry.Channels * geometry.Landmarks);
        long plane = ((long)sample * geometry.Channels + channel) * geometry.Height * geometry.Width;
        Atomic.Add(ref gradFeatures[plane + cell], gradOutput[index]);
    }

    /// <summary>
    /// Weighted attribute loss forward over <c>[N, A]</c>: loss = w_pos y softplus(-x) + w_neg (1 - y) softplus(x) and
    /// its derivative -w_pos y sigmoid(-x) + w_neg (1 - y) sigmoid(x), both times the mask and 0 where it is 0.
    /// <paramref name="hasMask"/> 0: every entry is labelled and <paramref name="mask"/> is not read.
    /// </summary>
    public static void WeightedAttributeLossForward(
        Index1D index,
        ArrayView<float> logits,
        ArrayView<float> targets,
        ArrayView<float> mask,
        ArrayView<float> posWeight,
        ArrayView<float> negWeight,
        ArrayView<float> loss,
        ArrayView<float> gradLogits,
        int attributes,
        int hasMask)
    {
        float m = hasMask != 0 ? mask[index] : 1f;
        if (m == 0f)
        {
            loss[index] = 0f;
            gradLogits[index] = 0f;
            return;
        }
        int attribute = index % attributes;
        float x = logits[index];
        float y = targets[index];
        float positive = posWeight[attribute] * y;
        float negative = negWeight[attribute] * (1f - y);

        // softplus(+-x) = max(+-x, 0) + log1p(exp(-|x|)): no overflow for any finite logit.
        float t = DeviceMath.ExpNonPositive(x < 0f ? x : -x);
        float log1pT = DeviceMath.Log1PUnit(t);
        float softplusX = (x > 0f ? x : 0f) + log1pT;
        float softplusMinusX = (x < 0f ? -x : 0f) + log1pT;
        float sigmoidX = (x >= 0f ? 1f : t) / (1f + t);
        float sigmoidMinusX = (x >= 0f ? t : 1f) / (1f + t);

        loss[index] = m * (positive * softplusMinusX + negative * softplusX);
        gradLogits[index] = m * (negative * sigmoidX - positive * sigmoidMinusX);
    }

    /// <summary>
    /// floor(coordinate * size) in float64 (<see cref="LandmarkPoolingRules.Cell"/>'s rule),
    /// clamped first to one cell beyond the reach of any window: that keeps the conversion to int defined for far-away
    /// landmarks without changing which cells are pooled.
    /// </summary>
    private static int LandmarkCell(float coordinate, int size, int radius)
    {
        double cell = (double)coordinate * size;
        double low = -radius - 1;
        double high = size + radius;
        cell = cell < low ? low : cell > high ? high : cell;
        int truncated = (int)cell;
        return truncated > cell ? truncated - 1 : truncated;
    }
}
