using FashionNet.Data.Imaging;
using FashionNet.Model.Export;
using FashionNet.Model.Pretrained;
using static TorchSharp.torch;

namespace FashionNet.Inference.Onnx;

/// <summary>
/// The off-the-shelf baseline <see cref="ImageNetBaselineEmbedder.Name"/> run by ONNX Runtime: the same imported
/// ImageNet ResNet18 and preprocessing, exported in memory by <see cref="FashionNetOnnxExporter.ExportBackbone"/>
/// (batch normalization folded, any batch size, unlike ML.NET's file, which fixes the batch at 1). Its embeddings equal
/// <see cref="ImageNetBaselineEmbedder"/>'s to float32 rounding, so it carries the same fingerprint.
/// </summary>
public sealed class OnnxBaselineEmbedder : IImageEmbedder
{
    private const int InputSize = 224; // ImageNetBaselineEmbedder's
    private readonly OnnxModelSession _session;

    private OnnxBaselineEmbedder(OnnxModelSession session, IImageNormalizer normalizer, int dimension, OnnxRuntimeOptions options)
    {
        _session = session;
        Normalizer = normalizer;
        Dimension = dimension;
        Options = options;
    }

    /// <summary>How ONNX Runtime runs the network.</summary>
    public OnnxRuntimeOptions Options { get; }

    /// <inheritdoc/>
    public string Fingerprint => ImageNetBaselineEmbedder.BaselineFingerprint;

    /// <inheritdoc/>
    public int ImageSize => InputSize;

    /// <inheritdoc/>
    public IImageNormalizer Normalizer { get; }

    /// <inheritdoc/>
    public int Dimension { get; }

    /// <summary>Loads the ImageNet ResNet18 and its mean image from <paramref name="pretrainedDirectory"/> and exports the network to ONNX Runtime.</summary>
    /// <param name="pretrainedDirectory">Where the ImageNet ONNX files are (default <see cref="ImageNetWeights.DefaultDirectory"/>).</param>
    /// <param name="options">Threads and waiting (default <see cref="OnnxRuntimeOptions.Default"/>).</param>
    /// <exception cref="FileNotFoundException">A weight file is missing (the message says how to get it).</exception>
    public static OnnxBaselineEmbedder Load(string? pretrainedDirectory = null, OnnxRuntimeOptions? options = null)
    {
        options ??= OnnxRuntimeOptions.Default;
        var normalizer = ImageNetWeights.LoadNormalizer(InputSize, pretrainedDirectory);
        using var backbone = ImageNetWeights.LoadResNet18(pretrainedDirectory);
        var session = new OnnxModelSession(FashionNetOnnxExporter.ExportBackbone(backbone, InputSize), InputSize, options);
        return new OnnxBaselineEmbedder(session, normalizer, backbone.FinalStageChannels, options);
    }

    /// <inheritdoc/>
    public Tensor Embed(Tensor images) => _session.Run(images, FashionNetOnnxExporter.EmbeddingOutput)[0];

    /// <inheritdoc/>
    public void Dispose() => _session.Dispose();
}
