using FashionNet.Kernels;

namespace FashionNet.Tests.Kernels.Gpu;

/// <summary>
/// The operators' semantics spelled out as plainly as possible (loops, floor/ceil in double, loss in double): what
/// the ILGPU kernels are checked against here, independently of any other implementation.
/// </summary>
internal static class NaiveOracle
{
    public static (float[] Output, int[] Argmax) LandmarkPoolingForward(float[] features, float[] landmarks, float[] visibility, LandmarkPoolingGeometry g)
    {
        var output = new float[g.OutputElements];
        var argmax = new int[g.OutputElements];
        int i = 0;
        for (int n = 0; n < g.Batch; n++)
        for (int l = 0; l < g.Landmarks; l++)
        for (int c = 0; c < g.Channels; c++)
        for (int ph = 0; ph < g.Bins; ph++)
        for (int pw = 0; pw < g.Bins; pw++, i++)
        {
            output[i] = 0f;
            argmax[i] = -1;
            int nl = n * g.Landmarks + l;
            if (visibility[nl] == 0f)
                continue;
            // The cell of the landmark: normalized coordinate * size in double, then floor.
            long cx = (long)Math.Floor((double)landmarks[2 * nl] * g.Width);
            long cy = (long)Math.Floor((double)landmarks[2 * nl + 1] * g.Height);
            long top = cy - g.WindowSize / 2, left = cx - g.WindowSize / 2;
            double binSize = (double)g.WindowSize / g.Bins;
            long h0 = Math.Max(top + (long)Math.Floor(ph * binSize), 0), h1 = Math.Min(top + (long)Math.Ceiling((ph + 1) * binSize), g.Height);
            long w0 = Math.Max(left + (long)Math.Floor(pw * binSize), 0), w1 = Math.Min(left + (long)Math.Ceiling((pw + 1) * binSize), g.Width);
            bool first = true;
            for (long h = h0; h < h1; h++)
            for (long w = w0; w < w1; w++)
            {
                float value = features[((n * g.Channels + c) * g.Height + h) * g.Width + w];
                if (first || value > output[i])
                {
                    output[i] = value;
                    argmax[i] = (int)(h * g.Width + w);
                    first = false;
                }
            }
        }
        return (output, argmax);
    }

    public static float[] LandmarkPoolingBackward(float[] gradOutput, int[] argmax, LandmarkPoolingGeometry g)
    {
        var gradFeatures = new float[g.Batch * g.Channels * g.Height * g.Width];
        int bins = g.Bins * g.Bins;
        for (int i = 0; i < gradOutput.Length; i++)
        {
            if (argmax[i] < 0)
                continue;
            int c = i / bins % g.Channels;
            int n = i / (bins * g.Channels * g.Landmarks);
            gradFeatures[(n * g.Channels + c) * g.Height * g.Width + argmax[i]] += gradOutput[i];
        }
        return gradFeatures;
    }

    /// <summary>Loss and its derivative for one element, in double: -(w+ y log s(x) + w- (1 - y) log(1 - s(x))) times the mask.</summary>
    public static (double Loss, double Grad) WeightedAttributeLoss(double x, double y, double mask, double posWeight, double negWeight)
    {
        if (mask == 0)
            return (0, 0);
        // log s(x) = -softplus(-x), log(1 - s(x)) = -softplus(x); softplus(z) = max(z, 0) + log1p(exp(-|z|)).
        double log1pExp = 2 * Math.Atanh(Math.Exp(-Math.Abs(x)) / (2 + Math.Exp(-Math.Abs(x))));
        double softplusX = Math.Max(x, 0) + log1pExp, softplusMinusX = Math.Max(-x, 0) + log1pExp;
        double sigmoid = x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
        double sigmoidMinusX = x >= 0 ? Math.Exp(-x) / (1 + Math.Exp(-x)) : 1 / (1 + Math.Exp(x));
        double loss = posWeight * y * softplusMinusX + negWeight * (1 - y) * softplusX;
        double grad = -posWeight * y * sigmoidMinusX + negWeight * (1 - y) * sigmoid;
        return (mask * loss, mask * grad);
    }
}
