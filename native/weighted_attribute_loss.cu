// Weighted attribute loss on CUDA, elementwise: for logit x, target y, weights w_pos and w_neg of the attribute,
//   loss = w_pos * y * softplus(-x) + w_neg * (1 - y) * softplus(x)
//   dloss/dx = -w_pos * y * sigmoid(-x) + w_neg * (1 - y) * sigmoid(x)
// both multiplied by the mask and exactly 0 where the mask is 0. softplus(+-x) = max(+-x, 0) + log1p(exp(-|x|)), so
// nothing overflows for any finite logit.
//
// Without libdevice there is no accurate expf/log1pf on the device, and PTX's ex2/lg2.approx lose relative
// accuracy where the loss is tiny; exp and log1p are therefore computed here in software (a few FMAs each, within
// a few ulp), by the same algorithm as the ILGPU kernel (FashionNet.Kernels.Gpu.DeviceMath).
#include "fashionnet_device.cuh"

// exp(a) for a <= 0: a = n ln2 + r with |r| <= ln2 / 2 (Cody-Waite split of ln2), a degree-7 Taylor polynomial
// for exp(r), then two power-of-two scalings so that results down in the subnormal range round only once.
FN_DEVICE float fn_exp_nonpositive(float a)
{
    a = a < -104.0f ? -104.0f : a;
    int n = (int)(a * 1.44269502f - 0.5f);
    float r = (a - (float)n * 0.693145751953125f) - (float)n * 1.42860677e-6f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666672f + r * (0.0416666679f
        + r * (0.00833333377f + r * (0.00138888892f + r * 0.000198412701f))))));
    int half = n / 2;
    return p * fn_int_bits_as_float((half + 127) << 23) * fn_int_bits_as_float((n - half + 127) << 23);
}

// log1p(t) for 0 <= t <= 1 as 2 atanh(s), s = t / (2 + t) <= 1/3, by its odd series up to s^13.
FN_DEVICE float fn_log1p_unit(float t)
{
    float s = t / (2.0f + t);
    float z = s * s;
    float q = 1.0f + z * (0.333333343f + z * (0.200000003f + z * (0.142857149f + z * (0.111111112f
        + z * (0.0909090936f + z * 0.0769230798f)))));
    return 2.0f * s * q;
}

// One thread per element of [N, A]. has_mask == 0: every entry is labelled and the mask view is not read.
FN_KERNEL void fashionnet_weighted_attribute_loss_forward(
    int count,
    DeviceView<const float> logits,
    DeviceView<const float> targets,
    DeviceView<const float> mask,
    DeviceView<const float> pos_weight,
    DeviceView<const float> neg_weight,
    DeviceView<float> loss,
    DeviceView<float> grad_logits,
    int attributes,
    int has_mask)
{
    int index = fn_global_index();
    if (index >= count)
        return;
    float m = has_mask != 0 ? mask.data[index] : 1.0f;
    if (m == 0.0f)
    {
        loss.data[index] = 0.0f;
        grad_logits.data[index] = 0.0f;
        return;
    }
    int attribute = index % attributes;
    float x = logits.data[index];
    float y = targets.data[index];
    float positive = pos_weight.data[attribute] * y;
    float negative = neg_weight.data[attribute] * (1.0f - y);

    float t = fn_exp_nonpositive(x < 0.0f ? x : -x);
    float log1p_t = fn_log1p_unit(t);
    float softplus_x = (x > 0.0f ? x : 0.0f) + log1p_t;
    float softplus_minus_x = (x < 0.0f ? -x : 0.0f) + log1p_t;
    float sigmoid_x = (x >= 0.0f ? 1.0f : t) / (1.0f + t);
    float sigmoid_minus_x = (x >= 0.0f ? t : 1.0f) / (1.0f + t);

    loss.data[index] = m * (positive * softplus_minus_x + negative * softplus_x);
    grad_logits.data[index] = m * (negative * sigmoid_x - positive * sigmoid_minus_x);
}
