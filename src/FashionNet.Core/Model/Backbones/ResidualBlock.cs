using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FashionNet.Model.Backbones;

/// <summary>The residual block a <see cref="ResNet"/> is built from.</summary>
public enum ResidualBlockKind
{
    /// <summary>Two 3x3 convolutions; a stage's output has its width (ResNet18, ResNet34).</summary>
    Basic,

    /// <summary>
    /// 1x1 reduction, 3x3 (carrying the stage's stride: torchvision's "v1.5"), 1x1 expansion to 4 x the stage's width
    /// (ResNet50 and deeper).
    /// </summary>
    Bottleneck,
}

/// <summary>
/// One residual block in torchvision's layout: the main path <c>conv1/bn1, conv2/bn2[, conv3/bn3]</c> with ReLU
/// between, an identity or 1x1 projection shortcut <c>downsample.0/1</c>, ReLU after the sum.
/// </summary>
internal sealed class ResidualBlock : nn.Module<Tensor, Tensor>
{
    private readonly (Conv2d Conv, BatchNorm2d Norm)[] mainPath;
    private readonly Sequential? downsample;

    /// <param name="kind">Basic or bottleneck.</param>
    /// <param name="inChannels">Channels of the input map.</param>
    /// <param name="width">The stage's width: the output has <c>width * Expansion(kind)</c> channels.</param>
    /// <param name="stride">2 for the first block of a downsampling stage, else 1.</param>
    public ResidualBlock(ResidualBlockKind kind, int inChannels, int width, int stride) : base(kind + "Block")
    {
        int outChannels = width * Expansion(kind);
        mainPath = kind switch
        {
            ResidualBlockKind.Basic => [Convolution(inChannels, width, 3, stride), Convolution(width, width, 3, 1)],
            ResidualBlockKind.Bottleneck =>
                [Convolution(inChannels, width, 1, 1), Convolution(width, width, 3, stride), Convolution(width, outChannels, 1, 1)],
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Undefined residual block kind."),
        };
        for (int i = 0; i < mainPath.Length; i++)
        {
            string number = (i + 1).ToString(CultureInfo.InvariantCulture);
            register_module("conv" + number, mainPath[i].Conv);
            register_module("bn" + number, mainPath[i].Norm);
        }
        if (stride != 1 || inChannels != outChannels)
        {
            downsample = nn.Sequential(nn.Conv2d(inChannels, outChannels, 1, stride: stride, bias: false), nn.BatchNorm2d(outChannels));
            register_module(nameof(downsample), downsample);
        }
    }

    /// <summary>Output channels per unit of stage width.</summary>
    public static int Expansion(ResidualBlockKind kind) => kind == ResidualBlockKind.Bottleneck ? 4 : 1;

    /// <summary>The main path's convolutions in order, then the projection shortcut's when there is one.</summary>
    public IEnumerable<(Conv2d Conv, BatchNorm2d Norm)> Convolutions()
    {
        foreach (var pair in mainPath) yield return pair;
        if (downsample is not null)
        {
            var parts = downsample.children().ToArray();
            yield return ((Conv2d)parts[0], (BatchNorm2d)parts[1]);
        }
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var residual = downsample is null ? input : downsample.forward(input);
        var x = input;
        for (int i = 0; i < mainPath.Length; i++)
        {
            x = mainPath[i].Norm.forward(mainPath[i].Conv.forward(x));
            if (i < mainPath.Length - 1) x = nn.functional.relu(x);
        }
        return nn.functional.relu(x + residual).MoveToOuterDisposeScope();
    }

    // Padding 1 keeps a 3x3 convolution's map size at stride 1 (and halves it at stride 2), as in torchvision.
    private static (Conv2d, BatchNorm2d) Convolution(int inChannels, int outChannels, int kernel, int stride) =>
        (nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: kernel / 2, bias: false), nn.BatchNorm2d(outChannels));
}
