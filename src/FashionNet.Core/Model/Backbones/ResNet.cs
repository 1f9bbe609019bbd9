using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FashionNet.Model.Backbones;

/// <summary>
/// The ResNet v1 family in torchvision's layout (stem <c>conv1/bn1</c>, max pooling, stages <c>layer1..layer4</c> of
/// basic or bottleneck blocks with the stride on a 3x3 convolution, 1x1 projection shortcuts <c>downsample.0/1</c>),
/// ending at global average pooling. The trunk is stem..layer3 (stride 16: 14x14 at 224), the final stage layer4
/// (stride 32). A stage of width w outputs w channels with basic blocks and 4w with bottleneck blocks: 256 / 512
/// (trunk / final stage) for ResNet18/34, 1024 / 2048 for ResNet50. layer2's output is the stride-8 map
/// (<see cref="BackboneMap.Stride8"/>: 128 channels for ResNet18/34, 512 for ResNet50).
/// </summary>
public sealed class ResNet : Backbone
{
    /// <summary>Channels of the stem, torchvision's <c>inplanes</c>.</summary>
    private const int StemChannels = 64;

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;

    /// <summary>Creates a ResNet from its block kind, the blocks per stage and, optionally, the stages' widths.</summary>
    /// <param name="block">The residual block of every stage.</param>
    /// <param name="blocksPerStage">Blocks in layer1..layer4, e.g. <c>[2, 2, 2, 2]</c> for ResNet18.</param>
    /// <param name="stageWidths">Widths of layer1..layer4 before the block's expansion; torchvision's <c>[64, 128, 256, 512]</c> when null.</param>
    public ResNet(ResidualBlockKind block, IReadOnlyList<int> blocksPerStage, IReadOnlyList<int>? stageWidths = null) : base(nameof(ResNet))
    {
        ArgumentNullException.ThrowIfNull(blocksPerStage);
        if (!Enum.IsDefined(block)) throw new ArgumentOutOfRangeException(nameof(block), block, "Undefined residual block kind.");
        if (blocksPerStage.Count != 4 || blocksPerStage.Any(count => count < 1))
            throw new ArgumentException($"Expected 4 stage block counts >= 1, got [{string.Join(", ", blocksPerStage)}].", nameof(blocksPerStage));
        stageWidths ??= [64, 128, 256, 512];
        if (stageWidths.Count != 4 || stageWidths.Any(width => width < 1))
            throw new ArgumentException($"Expected 4 stage widths >= 1, got [{string.Join(", ", stageWidths)}].", nameof(stageWidths));
        Block = block;
        BlocksPerStage = blocksPerStage.ToArray();
        StageWidths = stageWidths.ToArray();
        conv1 = nn.Conv2d(3, StemChannels, 7, stride: 2, padding: 3, bias: false);
        bn1 = nn.BatchNorm2d(StemChannels);
        layer1 = MakeStage(0, StemChannels, stride: 1);
        layer2 = MakeStage(1, StageChannels(0), stride: 2);
        layer3 = MakeStage(2, StageChannels(1), stride: 2);
        layer4 = MakeStage(3, StageChannels(2), stride: 2);
        RegisterComponents();
    }

    /// <summary>torchvision's ResNet18: basic blocks, <c>[2, 2, 2, 2]</c>.</summary>
    public static ResNet ResNet18() => new(ResidualBlockKind.Basic, [2, 2, 2, 2]);

    /// <summary>torchvision's ResNet34: basic blocks, <c>[3, 4, 6, 3]</c>.</summary>
    public static ResNet ResNet34() => new(ResidualBlockKind.Basic, [3, 4, 6, 3]);

    /// <summary>torchvision's ResNet50 (v1.5): bottleneck blocks, <c>[3, 4, 6, 3]</c>.</summary>
    public static ResNet ResNet50() => new(ResidualBlockKind.Bottleneck, [3, 4, 6, 3]);

    /// <summary>
    /// The ResNet18 of ML.NET's <c>ResNet18.onnx</c> (a CNTK export): like torchvision's, but with three blocks in
    /// layer4 (22 convolutions). <see cref="Pretrained.ResNet18OnnxImporter"/> loads its ImageNet weights.
    /// </summary>
    public static ResNet ResNet18Cntk() => new(ResidualBlockKind.Basic, [2, 2, 2, 3]);

    /// <summary>The residual block of every stage.</summary>
    public ResidualBlockKind Block { get; }

    /// <summary>Blocks in layer1..layer4.</summary>
    public IReadOnlyList<int> BlocksPerStage { get; }

    /// <summary>Widths of layer1..layer4 before the block's expansion.</summary>
    public IReadOnlyList<int> StageWidths { get; }

    /// <inheritdoc />
    public override int FinalStageChannels => StageChannels(3);

    /// <inheritdoc />
    public override int ChannelsOf(BackboneMap map) => map switch
    {
        BackboneMap.Trunk => StageChannels(2),
        BackboneMap.Stride8 => StageChannels(1),
        _ => throw UndefinedMap(map),
    };

    /// <inheritdoc />
    public override int StrideOf(BackboneMap map) => map switch
    {
        BackboneMap.Trunk => 16,
        BackboneMap.Stride8 => 8,
        _ => throw UndefinedMap(map),
    };

    /// <summary>The stem convolution, then each block's convolutions in order (main path, then downsample.0).</summary>
    internal IEnumerable<(Conv2d Conv, BatchNorm2d Norm)> ConvolutionsInOrder()
    {
        yield return (conv1, bn1);
        foreach (var stage in new[] { layer1, layer2, layer3, layer4 })
        {
            foreach (var block in stage.children().Cast<ResidualBlock>())
            {
                foreach (var pair in block.Convolutions()) yield return pair;
            }
        }
    }

    /// <inheritdoc />
    public override Tensor ForwardFinalStage(Tensor trunkFeatures) => layer4.forward(trunkFeatures);

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> CloneFinalStage()
    {
        var clone = MakeStage(3, StageChannels(2), stride: 2);
        StateDictCopier.CopyInto(clone, new Dictionary<string, Tensor>(layer4.state_dict()), "layer4");
        clone.train(layer4.training);
        return clone;
    }

    /// <inheritdoc />
    protected override IEnumerable<nn.Module> TrunkModules() => [conv1, bn1, layer1, layer2, layer3];

    /// <inheritdoc />
    protected override Tensor RunTrunk(Tensor images, out Tensor stride8Map)
    {
        var x = nn.functional.relu(bn1.forward(conv1.forward(images)));
        x = nn.functional.max_pool2d(x, 3, stride: 2, padding: 1);
        stride8Map = layer2.forward(layer1.forward(x));
        return layer3.forward(stride8Map);
    }

    private int StageChannels(int stage) => StageWidths[stage] * ResidualBlock.Expansion(Block);

    private Sequential MakeStage(int stage, int inChannels, int stride)
    {
        var result = nn.Sequential();
        for (int i = 0; i < BlocksPerStage[stage]; i++)
        {
            result.append(i.ToString(CultureInfo.InvariantCulture),
                new ResidualBlock(Block, i == 0 ? inChannels : StageChannels(stage), StageWidths[stage], i == 0 ? stride : 1));
        }
        return result;
    }
}
