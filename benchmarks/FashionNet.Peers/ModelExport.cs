using FashionNet.Data.Imaging;
using FashionNet.Model;
using FashionNet.Model.Backbones;
using static TorchSharp.torch;

namespace FashionNet.Peers;

/// <summary>
/// What the PyTorch side needs to build the same FashionNet (benchmarks/peers/fashionnet_torch.py): the architecture's
/// sizes and the parameter count it must reproduce.
/// </summary>
internal sealed record ModelDescription(
    int ImageSize,
    IReadOnlyList<int> BlocksPerStage,
    string PooledMap,
    int PoolingWindow,
    int PoolingBins,
    int LandmarkCount,
    int GlobalFeatureSize,
    int PoseGridSize,
    int PoseHiddenSize,
    int LocalFeatureSize,
    int EmbeddingSize,
    int CategoryCount,
    int AttributeCount,
    float VisibilityThreshold,
    bool LocalBranch,
    long Parameters)
{
    /// <summary>The description of <paramref name="model"/>, whose backbone must be a ResNet of basic blocks (ResNet18/34, as the peers are).</summary>
    /// <exception cref="NotSupportedException">Another backbone.</exception>
    public static ModelDescription Of(FashionNetModel model)
    {
        var o = model.Options;
        if (model.Backbone is not ResNet { Block: ResidualBlockKind.Basic } resnet || !resnet.StageWidths.SequenceEqual([64, 128, 256, 512]))
            throw new NotSupportedException("The PyTorch peer is a ResNet of basic blocks with torchvision's widths (ResNet18/34); this model has another backbone.");
        if (o.ImageWidth != o.ImageHeight) throw new NotSupportedException("The peers take square images.");
        return new ModelDescription(o.ImageWidth, resnet.BlocksPerStage, o.PooledMap.ToString(), o.PoolingWindow, o.PoolingBins, o.LandmarkCount,
            o.GlobalFeatureSize, o.PoseGridSize, o.PoseHiddenSize, o.LocalFeatureSize, o.EmbeddingSize, o.CategoryCount, o.AttributeCount,
            o.VisibilityThreshold, o.UseLocalBranch, ParameterCount(model));
    }

    /// <summary>Parameters (not buffers) of a model, trainable or not.</summary>
    public static long ParameterCount(TorchSharp.torch.nn.Module model) => model.parameters().Sum(p => p.numel());
}

/// <summary>Weights and input normalization in the files the PyTorch side loads.</summary>
internal static class ModelExport
{
    /// <summary>The model's state dict (parameters and buffers under their TorchSharp names, which are PyTorch's).</summary>
    public static void WriteStateDict(string path, FashionNetModel model) =>
        PeerFiles.WriteTensors(path, model.state_dict());

    /// <summary>
    /// The normalization as tensors: <c>mean_bgr</c> <c>[3, H, W]</c> for the ImageNet ResNet18's BGR mean image, or
    /// <c>mean_rgb</c> / <c>std_rgb</c> for a per-channel normalizer (both on the 0..1 or 0..255 scale they are defined on).
    /// </summary>
    public static void WriteNormalizer(string path, IImageNormalizer normalizer)
    {
        using var scope = NewDisposeScope();
        var tensors = normalizer switch
        {
            MeanImageBgrNormalizer m => new Dictionary<string, Tensor> { ["mean_bgr"] = tensor(m.MeanBgr.ToArray(), [3L, m.Height, m.Width]) },
            ChannelNormalizer c => new Dictionary<string, Tensor> { ["mean_rgb"] = tensor(c.Mean.ToArray()), ["std_rgb"] = tensor(c.Std.ToArray()) },
            _ => throw new NotSupportedException($"The PyTorch side knows the library's two normalizers, not {normalizer.GetType().Name}."),
        };
        PeerFiles.WriteTensors(path, tensors);
    }
}
