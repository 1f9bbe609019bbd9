using ILGPU;

namespace FashionNet.Kernels.Gpu;

/// <summary>
/// exp and log1p for the ILGPU kernels, computed in software: ILGPU's PTX backend only offers PTX's
/// <c>ex2/lg2.approx</c>, which lose relative accuracy exactly where the attribute loss is tiny. Same algorithm,
/// constants and operation order as <c>native/weighted_attribute_loss.cu</c>, so both GPU paths agree, and the tests
/// run this very code on ILGPU's CPU accelerator.
/// </summary>
internal static class DeviceMath
{
    /// <summary>
    /// exp(a) for a &lt;= 0, within a few ulp: a = n ln2 + r with |r| &lt;= ln2 / 2 (Cody-Waite split of ln2), a
    /// degree-7 Taylor polynomial for exp(r), then two power-of-two scalings so subnormal results round only once.
    /// </summary>
    public static float ExpNonPositive(float a)
    {
        a = a < -104f ? -104f : a;
        int n = (int)(a * 1.44269502f - 0.5f);
        float r = (a - n * 0.693145751953125f) - n * 1.42860677e-6f;
        float p = 1f + r * (1f + r * (0.5f + r * (0.166666672f + r * (0.0416666679f
            + r * (0.00833333377f + r * (0.00138888892f + r * 0.000198412701f))))));
        int half = n / 2;
        return p * PowerOfTwo(half) * PowerOfTwo(n - half);
    }

    /// <summary>log1p(t) for 0 &lt;= t &lt;= 1 as 2 atanh(s), s = t / (2 + t) &lt;= 1/3, by its odd series up to s^13.</summary>
    public static float Log1PUnit(float t)
    {
        float s = t / (2f + t);
        float z = s * s;
        float q = 1f + z * (0.333333343f + z * (0.200000003f + z * (0.142857149f + z * (0.111111112f
            + z * (0.0909090936f + z * 0.0769230798f)))));
        return 2f * s * q;
    }

    /// <summary>2^k for -126 &lt;= k &lt;= 127, built from the exponent bits.</summary>
    private static float PowerOfTwo(int k) => Interop.IntAsFloat((uint)(k + 127) << 23);
}
