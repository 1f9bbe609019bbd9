using static TorchSharp.torch;

namespace FashionNet.Tests.Kernels;

/// <summary>Comparisons of tensors with readable failure messages.</summary>
internal static class TensorAssert
{
    public static double[] Values(Tensor tensor) => tensor.detach().to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();

    /// <summary>Same shape and bit-identical values.</summary>
    public static void Identical(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        Assert.Equal(expected.dtype, actual.dtype);
        var (e, a) = (Values(expected), Values(actual));
        for (var i = 0; i < e.Length; i++)
        {
            if (BitConverter.DoubleToInt64Bits(e[i]) != BitConverter.DoubleToInt64Bits(a[i]))
            {
                Assert.Fail($"Element {i}: expected {e[i]:R}, got {a[i]:R}.");
            }
        }
    }

    /// <summary>Same shape and every |actual - expected| &lt;= absolute + relative * |expected|.</summary>
    public static void Close(Tensor expected, Tensor actual, double relative, double absolute)
    {
        Assert.Equal(expected.shape, actual.shape);
        var (e, a) = (Values(expected), Values(actual));
        for (var i = 0; i < e.Length; i++)
        {
            if (!(Math.Abs(a[i] - e[i]) <= absolute + relative * Math.Abs(e[i])))
            {
                Assert.Fail($"Element {i}: expected {e[i]:R}, got {a[i]:R} (tolerance {relative} relative + {absolute} absolute).");
            }
        }
    }
}
