using FashionNet.Data.Imaging;
using FashionNet.Model;
using FashionNet.Model.Backbones;
using FashionNet.Model.Pretrained;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Inference;

/// <summary>
/// The off-the-shelf baseline <c>imagenet-resnet18</c>: the ImageNet ResNet18 (ML.NET's CNTK export, see
/// <see cref="ImageNetWeights"/>) used without any training, its last feature map global-average-pooled to 512 values
/// and L2-normalized, so that dot products are cosine similarities. The input is the whole image resized to 224x224
/// (no crop) with the weights' own preprocessing: BGR minus the mean image of <c>ResNetPreprocess.onnx</c>. On the
/// whole query and gallery set of the In-shop sample (3,461 queries, 3,073 gallery images) this measured hit rates
/// R@1 0.302, R@5 0.479, R@10 0.555, R@20 0.639, R@30 0.682, R@50 0.737, against the published off-the-shelf
/// 0.305, 0.481, 0.554, 0.636, 0.686, 0.741: within 0.005 at every cut-off.
/// </summary>
public sealed class ImageNetBaselineEmbedder : IImageEmbedder
{
    /// <summary>The baseline's name on the command line.</summary>
    public const string Name = "imagenet-resnet18";

    private const int InputSize = 224;
    private readonly Backbone _backbone;

    private readonly Device _device;

    private ImageNetBaselineEmbedder(Backbone backbone, IImageNormalizer normalizer, InferenceOptions options, Device device)
    {
        _device = device;
        _backbone = backbone;
        _backbone.eval();
        Normalizer = normalizer;
        Options = options;
        _backbone.ApplyMemoryFormat(options.MemoryFormat);
    }

    /// <summary>How the network runs.</summary>
    public InferenceOptions Options { get; }

    /// <summary>The fingerprint of this baseline (the model and its preprocessing), as retrieval indexes record it.</summary>
    public const string BaselineFingerprint =
        "imagenet-resnet18 (CNTK ResNet18 ONNX; whole image 224x224, BGR minus mean image; global average pool, 512-d, L2)";

    /// <inheritdoc/>
    public string Fingerprint => BaselineFingerprint;

    /// <inheritdoc/>
    public int ImageSize => InputSize;

    /// <inheritdoc/>
    public IImageNormalizer Normalizer { get; }

    /// <inheritdoc/>
    public int Dimension => _backbone.FinalStageChannels;

    /// <summary>Loads the ImageNet ResNet18 and its mean image from <paramref name="pretrainedDirectory"/>.</summary>
    /// <param name="pretrainedDirectory">Where the ImageNet ONNX files are (default <see cref="ImageNetWeights.DefaultDirectory"/>).</param>
    /// <param name="options">How and where the network runs (default <see cref="InferenceOptions.Default"/>: the CPU).</param>
    /// <exception cref="FileNotFoundException">A weight file is missing (the message says how to get it).</exception>
    /// <exception cref="NotSupportedException">The device is not available here.</exception>
    public static ImageNetBaselineEmbedder Load(string? pretrainedDirectory = null, InferenceOptions? options = null)
    {
        options ??= InferenceOptions.Default;
        options.Validate();
        var device = Diagnostics.ComputeDevice.RequireAvailable(options.Device ?? CPU);
        var normalizer = ImageNetWeights.LoadNormalizer(InputSize, pretrainedDirectory);
        var backbone = ImageNetWeights.LoadResNet18(pretrainedDirectory);
        backbone.to(device);
        return new ImageNetBaselineEmbedder(backbone, normalizer, options, device);
    }

    /// <inheritdoc/>
    public Tensor Embed(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[2] != InputSize || images.shape[3] != InputSize)
            throw new ArgumentException($"Expected images [N, 3, {InputSize}, {InputSize}], got [{string.Join(", ", images.shape)}].", nameof(images));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return nn.functional.normalize(_backbone.forward(images.to(_device).ToMemoryFormat(Options.MemoryFormat)), p: 2, dim: 1).cpu().MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Dispose() => _backbone.Dispose();
}
