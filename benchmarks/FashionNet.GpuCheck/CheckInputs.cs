using FashionNet.Kernels;

namespace FashionNet.GpuCheck;

/// <summary>
/// Deterministic inputs at FashionNet's shapes (C=512, H=W=28, L=8, K=3, P=1 on a 224 x 224 image; A=1000): some
/// landmarks beyond the border, some invisible, integer output gradients so that sums over overlapping windows are
/// exact in any order, logits from -30 to 30 plus extremes, a tenth of the attribute entries masked.
/// </summary>
internal sealed class CheckInputs
{
    public const int Channels = 512, Size = 28, Landmarks = 8, Window = 3, Bins = 1, Attributes = 1000;
    public const float ImageSize = 224f;

    public CheckInputs(int batch, int seed)
    {
        var random = new Random(seed);
        Geometry = new LandmarkPoolingGeometry(batch, Channels, Size, Size, Landmarks, Window, Bins);
        Features = Fill((long)batch * Channels * Size * Size, () => (float)(random.NextDouble() * 2 - 1));
        Landmarks2D = Fill(batch * Landmarks * 2, () => (float)((random.NextDouble() * (ImageSize + 32) - 16) / ImageSize));
        Visibility = Fill(batch * Landmarks, () => random.NextDouble() < 0.85 ? 1f : 0f);
        GradOutput = Fill(Geometry.OutputElements, () => random.Next(1, 5));
        float[] extremes = [-1e4f, -100f, 100f, 1e4f];
        Logits = Fill(batch * Attributes, () => random.NextDouble() < 0.01 ? extremes[random.Next(extremes.Length)] : (float)(random.NextDouble() * 60 - 30));
        Targets = Fill(batch * Attributes, () => random.Next(2));
        Mask = Fill(batch * Attributes, () => random.NextDouble() < 0.1 ? 0f : 1f);
        PosWeight = Fill(Attributes, () => (float)(0.5 + random.NextDouble() * 20));
        NegWeight = Fill(Attributes, () => (float)(0.5 + random.NextDouble()));
    }

    public LandmarkPoolingGeometry Geometry { get; }
    public float[] Features { get; }
    public float[] Landmarks2D { get; }
    public float[] Visibility { get; }
    public float[] GradOutput { get; }
    public float[] Logits { get; }
    public float[] Targets { get; }
    public float[] Mask { get; }
    public float[] PosWeight { get; }
    public float[] NegWeight { get; }

    public int Batch => Geometry.Batch;
    public long FeatureElements => Features.LongLength;
    public int LossElements => Logits.Length;

    private static float[] Fill(long length, Func<float> next)
    {
        var values = new float[length];
        for (long i = 0; i < length; i++)
            values[i] = next();
        return values;
    }
}

/// <summary>What one implementation produced for a <see cref="CheckInputs"/>.</summary>
internal sealed record CheckOutputs(float[] Pooled, int[] Argmax, float[] GradFeatures, float[] Loss, float[] GradLogits)
{
    public static CheckOutputs For(CheckInputs inputs) => new(
        new float[inputs.Geometry.OutputElements], new int[inputs.Geometry.OutputElements], new float[inputs.FeatureElements],
        new float[inputs.LossElements], new float[inputs.LossElements]);

    /// <summary>Differences from <paramref name="expected"/>, or none: pooling, argmax, gradients exact; loss 1e-5 relative.</summary>
    public IEnumerable<string> Compare(CheckOutputs expected)
    {
        foreach (string difference in Exact("pooled output", Pooled, expected.Pooled)
            .Concat(Exact("argmax", Argmax, expected.Argmax))
            .Concat(Exact("feature gradient", GradFeatures, expected.GradFeatures))
            .Concat(Close("loss", Loss, expected.Loss))
            .Concat(Close("logit gradient", GradLogits, expected.GradLogits)))
            yield return difference;
    }

    private static IEnumerable<string> Exact<T>(string what, T[] actual, T[] expected)
        where T : IEquatable<T>
    {
        long mismatches = 0;
        long first = -1;
        for (long i = 0; i < actual.LongLength; i++)
        {
            if (!actual[i].Equals(expected[i]))
            {
                mismatches++;
                if (first < 0)
                    first = i;
            }
        }
        if (mismatches > 0)
            yield return $"{what}: {mismatches} of {actual.LongLength} differ, first at {first}: {actual[first]} vs {expected[first]}";
    }

    private static IEnumerable<string> Close(string what, float[] actual, float[] expected)
    {
        long mismatches = 0;
        long first = -1;
        for (long i = 0; i < actual.LongLength; i++)
        {
            // Below float32's normal range (the loss of |x| >= 100) the comparison is absolute.
            if (!(Math.Abs(actual[i] - expected[i]) <= 1e-5 * Math.Abs(expected[i]) + 1e-37))
            {
                mismatches++;
                if (first < 0)
                    first = i;
            }
        }
        if (mismatches > 0)
            yield return $"{what}: {mismatches} of {actual.LongLength} beyond 1e-5 relative, first at {first}: {actual[first]:R} vs {expected[first]:R}";
    }
}
