using FashionNet.Kernels.Gpu;

namespace FashionNet.Tests.Kernels.Gpu;

/// <summary>The software exp and log1p of the GPU loss kernels against double precision, over their whole input range.</summary>
public class DeviceMathTests
{
    [Fact]
    public void ExpOfNonPositiveArgumentsIsWithinAFewUlp()
    {
        for (double a = 0; a >= -87; a -= 0.01234)
        {
            float x = (float)a;
            double expected = Math.Exp(x);
            double actual = DeviceMath.ExpNonPositive(x);
            Assert.True(Math.Abs(actual - expected) <= 4e-7 * expected, $"exp({x:R}): expected {expected:R}, got {actual:R}");
        }
    }

    [Fact]
    public void ExpUnderflowsGracefullyThroughTheSubnormalRange()
    {
        foreach (float x in new[] { -90f, -95f, -100f, -103.9f, -104f, -150f, -1e4f, float.MinValue })
        {
            double expected = Math.Exp(x);
            double actual = DeviceMath.ExpNonPositive(x);
            // Subnormal floats carry fewer bits; two of the smallest steps (1.4e-45 each) is what rounding can cost.
            Assert.True(Math.Abs(actual - expected) <= Math.Max(1e-6 * expected, 3e-45), $"exp({x:R}): expected {expected:R}, got {actual:R}");
        }
    }

    [Fact]
    public void Log1PIsWithinAFewUlpOnTheUnitInterval()
    {
        var samples = Enumerable.Range(0, 2000).Select(i => i / 1999.0)
            .Concat(Enumerable.Range(1, 44).Select(k => Math.Pow(10, -k / 1.0)));
        foreach (double sample in samples)
        {
            float t = (float)sample;
            double expected = 2 * Math.Atanh(t / (2.0 + t));  // log1p(t) without cancellation
            double actual = DeviceMath.Log1PUnit(t);
            Assert.True(Math.Abs(actual - expected) <= 4e-7 * expected + 3e-45, $"log1p({t:R}): expected {expected:R}, got {actual:R}");
        }
    }
}
