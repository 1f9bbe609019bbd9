using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FashionNet.Model.Backbones;

/// <summary>
/// ResNet v1 with basic blocks (torchvision's layout: stride on the first 3x3 convolution of a stage, 1x1 projection
/// shortcut <c>downsample.0/1</c>), ending at global average pooling. The trunk is stem..layer3 (256 channels,
/// stride 16: 14x14 at 224); the final stage is layer4 (512 channels, stride 32).
/// </summary>
public sealed class ResNet : Backbone
{
    private const int TrunkOutputChannels = 256;
    private const int FinalChannels = 512;

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;

    /// <summary>Creates a ResNet with basic blocks and the given number of blocks in each of its four stages.</summary>
    /// <param name="blocksPerStage">Blocks in layer1..layer4, e.g. <c>[2, 2, 2, 2]</c> for ResNet18.</param>
    public ResNet(IReadOnlyList<int> blocksPerStage) : base(nameof(ResNet))
    {
        ArgumentNullException.ThrowIfNull(blocksPerStage);
        if (blocksPerStage.Count != 4 || blocksPerStage.Any(count => count < 1))
            throw new ArgumentException($"Expected 4 stage block counts >= 1, got [{string.Join(", ", blocksPerStage)}].", nameof(blocksPerStage));
        BlocksPerStage = blocksPerStage.ToArray();
        conv1 = nn.Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = nn.BatchNorm2d(64);
        layer1 = MakeStage(64, 64, BlocksPerStage[0], 1);
        layer2 = MakeStage(64, 128, BlocksPerStage[1], 2);
        layer3 = MakeStage(128, TrunkOutputChannels, BlocksPerStage[2], 2);
        layer4 = MakeStage(TrunkOutputChannels, FinalChannels, BlocksPerStage[3], 2);
        RegisterComponents();
    }

    /// <summary>torchvision's ResNet18: two blocks per stage.</summary>
    public static ResNet ResNet18() => new([2, 2, 2, 2]);

    /// <summary>
    /// The ResNet18 of ML.NET's <c>ResNet18.onnx</c> (a CNTK export): like torchvision's, but with three blocks in
    /// layer4 (22 convolutions). <see cref="Pretrained.ResNet18OnnxImporter"/> loads its ImageNet weights.
    /// </summary>
    public static ResNet ResNet18Cntk() => new([2, 2, 2, 3]);

    /// <summary>Blocks in layer1..layer4.</summary>
    public IReadOnlyList<int> BlocksPerStage { get; }

    /// <inheritdoc />
    public override int TrunkChannels => TrunkOutputChannels;

    /// <inheritdoc />
    public override int TrunkStride => 16;

    /// <inheritdoc />
    public override int FinalStageChannels => FinalChannels;

    /// <summary>The stem convolution, then each block's convolutions in order (conv1, conv2, then downsample.0).</summary>
    internal IEnumerable<(Conv2d Conv, BatchNorm2d Norm)> ConvolutionsInOrder()
    {
        yield return (conv1, bn1);
        foreach (var stage in new[] { layer1, layer2, layer3, layer4 })
        {
            foreach (var block in stage.children().Cast<BasicBlock>())
            {
                foreach (var pair in block.Convolutions()) yield return pair;
            }
        }
    }

    /// <inheritdoc />
    public override Tensor ForwardTrunk(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(bn1.forward(conv1.forward(images)));
        x = nn.functional.max_pool2d(x, 3, stride: 2, padding: 1);
        return layer3.forward(layer2.forward(layer1.forward(x))).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override Tensor ForwardFinalStage(Tensor trunkFeatures) => layer4.forward(trunkFeatures);

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> CloneFinalStage()
    {
        var clone = MakeStage(TrunkOutputChannels, FinalChannels, BlocksPerStage[3], 2);
        StateDictCopier.CopyInto(clone, new Dictionary<string, Tensor>(layer4.state_dict()), "layer4");
        clone.train(layer4.training);
        return clone;
    }

    /// <inheritdoc />
    protected override IEnumerable<nn.Module> TrunkModules() => [conv1, bn1, layer1, layer2, layer3];

    private static Sequential MakeStage(int inChannels, int channels, int blocks, int stride)
    {
        var stage = nn.Sequential();
        for (int i = 0; i < blocks; i++)
        {
            stage.append(i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                new BasicBlock(i == 0 ? inChannels : channels, channels, i == 0 ? stride : 1));
        }
        return stage;
    }
}

/// <summary>ResNet's basic block: two 3x3 convolutions with batch norm, plus an identity or 1x1 projection shortcut.</summary>
internal sealed class BasicBlock : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? downsample;

    public BasicBlock(int inChannels, int channels, int stride) : base(nameof(BasicBlock))
    {
        conv1 = nn.Conv2d(inChannels, channels, 3, stride: stride, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(channels);
        conv2 = nn.Conv2d(channels, channels, 3, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(channels);
        if (stride != 1 || inChannels != channels)
            downsample = nn.Sequential(nn.Conv2d(inChannels, channels, 1, stride: stride, bias: false), nn.BatchNorm2d(channels));
        RegisterComponents();
    }

    /// <summary>conv1, conv2, then the projection shortcut's convolution when there is one.</summary>
    public IEnumerable<(Conv2d Conv, BatchNorm2d Norm)> Convolutions()
    {
        yield return (conv1, bn1);
        yield return (conv2, bn2);
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
        var x = nn.functional.relu(bn1.forward(conv1.forward(input)));
        x = bn2.forward(conv2.forward(x));
        return nn.functional.relu(x + residual).MoveToOuterDisposeScope();
    }
}
