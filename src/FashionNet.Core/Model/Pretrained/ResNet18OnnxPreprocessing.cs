using FashionNet.Data.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Model.Pretrained;

/// <summary>
/// The input transform <c>ResNet18.onnx</c>'s weights were trained with, as in ML.NET's <c>ResNetPreprocess.onnx</c>:
/// RGB images with values 0..255 are reordered to BGR and a per-pixel 224x224 mean image is subtracted. Read once
/// into a <see cref="MeanImageBgrNormalizer"/>, which the data pipeline applies to every image.
/// </summary>
public static class ResNet18OnnxPreprocessing
{
    /// <summary>File name of the preprocessing model in the package (<c>tools/DnnImageModels/ResNetPrepOnnx/</c>).</summary>
    public const string FileName = "ResNetPreprocess.onnx";

    /// <summary>Side of the mean image in the file.</summary>
    public const int MeanImageSize = 224;

    /// <summary>
    /// Reads the mean image from <c>ResNetPreprocess.onnx</c>, checking that the graph is the expected channel split,
    /// reversed concatenation and subtraction, and returns the normalizer for <paramref name="imageSize"/> x
    /// <paramref name="imageSize"/> inputs (the mean image bilinearly resized when that is not 224).
    /// </summary>
    /// <param name="path">The preprocessing ONNX file.</param>
    /// <param name="imageSize">Square network input size in pixels.</param>
    /// <exception cref="InvalidDataException">The file is not that graph; the message names it.</exception>
    public static MeanImageBgrNormalizer LoadNormalizer(string path, int imageSize)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 1);
        var graph = OnnxModelReader.ReadFile(path);
        var ops = graph.Nodes.Select(n => n.OpType).ToArray();
        if (!ops.SequenceEqual(["Split", "Concat", "Sub"]))
            throw new InvalidDataException($"'{path}': expected the nodes Split, Concat, Sub, found {string.Join(", ", ops)}.");
        var split = graph.Nodes[0].Outputs;
        if (split.Count != 3 || !graph.Nodes[1].Inputs.SequenceEqual([split[2], split[1], split[0]]))
            throw new InvalidDataException($"'{path}': the Concat node does not reverse the channel order.");
        var sub = graph.Nodes[2];
        if (sub.Inputs.Count != 2 || !graph.Initializers.TryGetValue(sub.Inputs[1], out var meanInitializer)
            || !meanInitializer.Dims.SequenceEqual([1L, 3, MeanImageSize, MeanImageSize]))
            throw new InvalidDataException($"'{path}': the Sub node does not subtract a float [1, 3, {MeanImageSize}, {MeanImageSize}] mean image.");

        using var scope = NewDisposeScope();
        var mean = meanInitializer.ToTensor();
        if (imageSize != MeanImageSize)
            mean = nn.functional.interpolate(mean, [imageSize, imageSize], mode: InterpolationMode.Bilinear, align_corners: false);
        return new MeanImageBgrNormalizer(mean.contiguous().data<float>().ToArray(), imageSize, imageSize);
    }
}
