using TorchSharp;

namespace FashionNet.Kernels.Gpu;

/// <summary>Landmark pooling on CUDA tensors through one backend's <see cref="CudaKernelSet"/> (ILGPU or native PTX).</summary>
internal sealed class CudaLandmarkPoolingKernel(CudaKernelSet kernels) : ILandmarkPoolingKernel
{
    /// <inheritdoc/>
    public void Forward(torch.Tensor features, torch.Tensor landmarks, torch.Tensor visibility, in LandmarkPoolingGeometry geometry,
        torch.Tensor output, torch.Tensor argmax) =>
        kernels.LandmarkPoolingForward(DeviceView.Of(features), DeviceView.Of(landmarks), DeviceView.Of(visibility), DeviceView.Of(output),
            DeviceView.Of(argmax), geometry);

    /// <inheritdoc/>
    public void Backward(torch.Tensor gradOutput, torch.Tensor argmax, in LandmarkPoolingGeometry geometry, torch.Tensor gradFeatures) =>
        kernels.LandmarkPoolingBackward(DeviceView.Of(gradOutput), DeviceView.Of(argmax), DeviceView.Of(gradFeatures), geometry);
}

/// <summary>The weighted attribute loss on CUDA tensors through one backend's <see cref="CudaKernelSet"/>.</summary>
internal sealed class CudaWeightedAttributeLossKernel(CudaKernelSet kernels) : IWeightedAttributeLossKernel
{
    /// <inheritdoc/>
    public void Forward(torch.Tensor logits, torch.Tensor targets, torch.Tensor? mask, torch.Tensor posWeight, torch.Tensor negWeight,
        torch.Tensor loss, torch.Tensor gradLogits) =>
        kernels.WeightedAttributeLossForward(checked((int)logits.numel()), checked((int)posWeight.numel()), DeviceView.Of(logits),
            DeviceView.Of(targets), mask is null ? DeviceView.None : DeviceView.Of(mask), DeviceView.Of(posWeight), DeviceView.Of(negWeight),
            DeviceView.Of(loss), DeviceView.Of(gradLogits));
}
