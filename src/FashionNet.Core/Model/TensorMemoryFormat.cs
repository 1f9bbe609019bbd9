using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Model;

/// <summary>
/// How 4-D tensors (image batches, feature maps, convolution weights) are laid out in memory. The values are the same
/// either way; only the order of the elements in memory, and so the speed of the convolutions, differs.
/// </summary>
public enum TensorMemoryFormat
{
    /// <summary>Row-major <c>[N, C, H, W]</c> (NCHW), TorchSharp's default.</summary>
    Contiguous,

    /// <summary>
    /// Channels last (NHWC in memory, still indexed <c>[N, C, H, W]</c>), PyTorch's <c>torch.channels_last</c>.
    /// LibTorch's CPU convolutions (oneDNN) then work on the tensors as they are instead of reordering every input and
    /// output into their blocked layout and back, and the layers between them keep the layout.
    /// </summary>
    ChannelsLast,
}

/// <summary>
/// Puts tensors and modules into a <see cref="TensorMemoryFormat"/>. TorchSharp 0.107 has no <c>memory_format</c>
/// argument; a channels-last tensor is made the way PyTorch makes one: permuted to NHWC, copied contiguous, and permuted
/// back, which leaves the <c>[N, C, H, W]</c> shape with NHWC strides.
/// </summary>
public static class TensorMemoryFormats
{
    /// <summary>
    /// <paramref name="tensor"/> in <paramref name="format"/>: the tensor itself when it is not 4-D, when the format is
    /// <see cref="TensorMemoryFormat.Contiguous"/>, or when it already has channels-last strides; otherwise a copy
    /// (differentiable, in the caller's dispose scope).
    /// </summary>
    public static Tensor ToMemoryFormat(this Tensor tensor, TensorMemoryFormat format)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!Enum.IsDefined(format)) throw new ArgumentOutOfRangeException(nameof(format), format, "Undefined memory format.");
        if (format == TensorMemoryFormat.Contiguous || tensor.dim() != 4 || IsChannelsLast(tensor)) return tensor;
        using var scope = NewDisposeScope();
        return tensor.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Whether a 4-D tensor's elements lie in NHWC order, as PyTorch's <c>is_contiguous(memory_format=channels_last)</c>
    /// decides it: dimensions of size 1 are ignored, so a 1 x 1 convolution's weight is both contiguous and channels last.
    /// </summary>
    public static bool IsChannelsLast(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.dim() != 4) return false;
        long[] shape = tensor.shape, strides = tensor.stride();
        long expected = 1;
        foreach (int dimension in (ReadOnlySpan<int>)[1, 3, 2, 0])
        {
            if (shape[dimension] == 1) continue;
            if (strides[dimension] != expected) return false;
            expected *= shape[dimension];
        }
        return true;
    }

    /// <summary>
    /// Re-lays every 4-D parameter of <paramref name="module"/> (the convolution weights) in <paramref name="format"/>,
    /// in place: the parameters stay the same objects with the same values, and gradients flow as before. TorchSharp's
    /// <c>Module.save</c>, and so a checkpoint, refuses channels-last tensors: this is for a model that is no longer
    /// saved. Nothing changes for <see cref="TensorMemoryFormat.Contiguous"/>.
    /// </summary>
    public static void ApplyMemoryFormat(this nn.Module module, TensorMemoryFormat format)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (!Enum.IsDefined(format)) throw new ArgumentOutOfRangeException(nameof(format), format, "Undefined memory format.");
        if (format == TensorMemoryFormat.Contiguous) return;
        using var noGrad = no_grad();
        foreach (var parameter in module.parameters())
        {
            if (parameter.dim() != 4 || IsChannelsLast(parameter)) continue;
            using var relaid = parameter.ToMemoryFormat(format);
            parameter.set_(relaid);
        }
    }
}
