using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Model.Pretrained;

/// <summary>
/// The input transform <c>ResNet18.onnx</c>'s weights were trained with, as in ML.NET's <c>ResNetPreprocess.onnx</c>:
/// RGB images with values 0..255 <c>[N, 3, H, W]</c> are reordered to BGR and a per-pixel mean image is subtracted.
/// The mean image is 224x224; other input sizes get it bilinearly resized.
/// </summary>
public sealed class ResNet18OnnxPreprocessing : nn.Module<Tensor, Tensor>
{
    /// <summary>File name of the preprocessing model in the package (<c>tools/DnnImageModels/ResNetPrepOnnx/</c>).</summary>
    public const string FileName = "ResNetPreprocess.onnx";

    // Not readonly, and named like its buffer: TorchSharp's Module.to() replaces buffer fields by name.
    private Tensor meanImage;

    private ResNet18OnnxPreprocessing(Tensor bgrMeanImage) : base(nameof(ResNet18OnnxPreprocessing))
    {
        // The module owns the buffer: it must outlive any dispose scope the module is created in.
        meanImage = bgrMeanImage.DetachFromDisposeScope();
        register_buffer(nameof(meanImage), meanImage);
    }

    /// <summary>The BGR mean image <c>[1, 3, 224, 224]</c>.</summary>
    public Tensor MeanImage => meanImage;

    /// <summary>
    /// Reads the mean image from <c>ResNetPreprocess.onnx</c>, checking that the graph is the expected
    /// channel split, reversed concatenation and subtraction.
    /// </summary>
    public static ResNet18OnnxPreprocessing Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var graph = OnnxModelReader.ReadFile(path);
        var ops = graph.Nodes.Select(n => n.OpType).ToArray();
        if (!ops.SequenceEqual(["Split", "Concat", "Sub"]))
            throw new InvalidDataException($"'{path}': expected the nodes Split, Concat, Sub, found {string.Join(", ", ops)}.");
        var split = graph.Nodes[0].Outputs;
        if (split.Count != 3 || !graph.Nodes[1].Inputs.SequenceEqual([split[2], split[1], split[0]]))
            throw new InvalidDataException($"'{path}': the Concat node does not reverse the channel order.");
        var sub = graph.Nodes[2];
        if (sub.Inputs.Count != 2 || !graph.Initializers.TryGetValue(sub.Inputs[1], out var mean) || !mean.Dims.SequenceEqual([1L, 3, 224, 224]))
            throw new InvalidDataException($"'{path}': the Sub node does not subtract a float [1, 3, 224, 224] mean image.");
        return new ResNet18OnnxPreprocessing(mean.ToTensor());
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor rgbImages)
    {
        if (rgbImages.dim() != 4 || rgbImages.shape[1] != 3)
            throw new ArgumentException($"Expected RGB images [N, 3, H, W], got [{string.Join(", ", rgbImages.shape)}].", nameof(rgbImages));
        using var scope = NewDisposeScope();
        var bgr = rgbImages.flip(1);
        var mean = meanImage.to(rgbImages.dtype, rgbImages.device);
        if (rgbImages.shape[2] != mean.shape[2] || rgbImages.shape[3] != mean.shape[3])
        {
            mean = nn.functional.interpolate(mean, [rgbImages.shape[2], rgbImages.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
        }
        return (bgr - mean).MoveToOuterDisposeScope();
    }
}
