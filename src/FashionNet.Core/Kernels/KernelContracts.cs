using TorchSharp;

namespace FashionNet.Kernels;

/// <summary>Sizes of one landmark pooling call, validated once in forward before any kernel runs.</summary>
internal readonly record struct LandmarkPoolingGeometry(
    int Batch, int Channels, int Height, int Width, int Landmarks, int WindowSize, int Bins)
{
    /// <summary>Number of elements of the output and argmax tensors, <c>N * L * C * P * P</c>.</summary>
    public long OutputElements => (long)Batch * Landmarks * Channels * Bins * Bins;
}

/// <summary>
/// One implementation of landmark pooling (CPU, ILGPU, native CUDA). Callers pass validated, contiguous tensors on
/// one device and preallocated outputs; implementations never validate and never throw for valid input.
/// </summary>
internal interface ILandmarkPoolingKernel
{
    /// <summary>
    /// features <c>[N,C,H,W]</c>, landmarks <c>[N,L,2]</c> and visibility <c>[N,L]</c>, all float32.
    /// Writes output <c>[N,L,C,P,P]</c> (float32) and argmax <c>[N,L,C,P,P]</c> (int32: flat <c>h * W + w</c> in the
    /// feature plane, -1 where nothing was pooled).
    /// </summary>
    void Forward(torch.Tensor features, torch.Tensor landmarks, torch.Tensor visibility, in LandmarkPoolingGeometry geometry,
        torch.Tensor output, torch.Tensor argmax);

    /// <summary>Adds each element of gradOutput <c>[N,L,C,P,P]</c> to gradFeatures <c>[N,C,H,W]</c> (zero-filled by the caller) at its argmax.</summary>
    void Backward(torch.Tensor gradOutput, torch.Tensor argmax, in LandmarkPoolingGeometry geometry, torch.Tensor gradFeatures);

    /// <summary>
    /// True when <see cref="Backward"/> writes every element of gradFeatures itself (zeros where no gradient arrives),
    /// so the caller may pass uninitialised memory instead of zero-filling a feature-sized tensor first.
    /// </summary>
    bool BackwardWritesWholeGradient => false;
}

/// <summary>
/// One implementation of the weighted attribute loss (CPU, ILGPU, native CUDA). Forward also writes the derivative of
/// each element's loss with respect to its logit, so backward is a single scaling by the incoming gradient.
/// Callers pass validated, contiguous float32 tensors on one device and preallocated outputs.
/// </summary>
internal interface IWeightedAttributeLossKernel
{
    /// <summary>
    /// logits and targets <c>[N,A]</c>; mask <c>[N,A]</c> or null when every entry is labelled; posWeight and
    /// negWeight <c>[A]</c>. Writes loss <c>[N,A]</c> and gradLogits <c>[N,A]</c>, both 0 where the mask is 0.
    /// </summary>
    void Forward(torch.Tensor logits, torch.Tensor targets, torch.Tensor? mask, torch.Tensor posWeight, torch.Tensor negWeight,
        torch.Tensor loss, torch.Tensor gradLogits);
}
