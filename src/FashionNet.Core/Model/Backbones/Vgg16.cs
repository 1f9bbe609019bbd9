using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FashionNet.Model.Backbones;

/// <summary>
/// VGG16 (the paper's backbone), torchvision's <c>features</c> layout <c>features.0</c>..<c>features.30</c>, without
/// the classifier. The trunk is conv1_1..relu4_3 (<c>features.0..22</c>, 512 channels, stride 8: 28x28 at 224), so
/// its output is also the stride-8 map (<see cref="BackboneMap.Stride8"/>); the final stage is pool4..pool5
/// (<c>features.23..30</c>, 512 channels, stride 32).
/// </summary>
public sealed class Vgg16 : Backbone
{
    private const int Channels = 512;

    /// <summary>Index of pool4 in <c>features</c>: the first layer of the final stage.</summary>
    private const int FinalStageStart = 23;

    // Output channels of each convolution, 0 for a 2x2 max pooling: torchvision's configuration "D".
    private static readonly int[] Configuration = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0];

    private readonly Sequential features;
    private readonly nn.Module<Tensor, Tensor>[] layers;

    /// <summary>Creates VGG16 with PyTorch's default initialization.</summary>
    public Vgg16() : base(nameof(Vgg16))
    {
        features = nn.Sequential();
        int inChannels = 3;
        foreach (var (name, layer) in BuildLayers(Configuration, ref inChannels)) features.append(name, layer);
        layers = features.children().Cast<nn.Module<Tensor, Tensor>>().ToArray();
        RegisterComponents();
    }

    /// <inheritdoc />
    public override int FinalStageChannels => Channels;

    /// <inheritdoc />
    public override int ChannelsOf(BackboneMap map) => Enum.IsDefined(map) ? Channels : throw UndefinedMap(map);

    /// <inheritdoc />
    public override int StrideOf(BackboneMap map) => Enum.IsDefined(map) ? 8 : throw UndefinedMap(map);

    /// <inheritdoc />
    public override Tensor ForwardFinalStage(Tensor trunkFeatures) => Run(layers.AsSpan(FinalStageStart), trunkFeatures);

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> CloneFinalStage()
    {
        var clone = nn.Sequential();
        int inChannels = Channels;
        foreach (var (name, layer) in BuildLayers(Configuration.AsSpan(13), ref inChannels)) clone.append(name, layer);

        // features.N.* becomes N-23.* in the clone.
        var renamed = new Dictionary<string, Tensor>();
        foreach (var (name, tensor) in features.state_dict())
        {
            int dot = name.IndexOf('.', StringComparison.Ordinal);
            int index = int.Parse(name.AsSpan(0, dot), CultureInfo.InvariantCulture);
            if (index >= FinalStageStart) renamed[(index - FinalStageStart).ToString(CultureInfo.InvariantCulture) + name[dot..]] = tensor;
        }
        StateDictCopier.CopyInto(clone, renamed, "features (final stage)");
        clone.train(features.training);
        return clone;
    }

    /// <inheritdoc />
    protected override IEnumerable<nn.Module> TrunkModules() => layers.Take(FinalStageStart);

    /// <inheritdoc />
    protected override Tensor RunTrunk(Tensor images, out Tensor stride8Map)
    {
        // conv4_3 is both the trunk's output and the stride-8 map.
        stride8Map = Run(layers.AsSpan(0, FinalStageStart), images);
        return stride8Map;
    }

    private static Tensor Run(ReadOnlySpan<nn.Module<Tensor, Tensor>> modules, Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input;
        foreach (var module in modules) x = module.forward(x);
        return x.MoveToOuterDisposeScope();
    }

    private static List<(string Name, nn.Module<Tensor, Tensor> Layer)> BuildLayers(ReadOnlySpan<int> configuration, ref int inChannels)
    {
        var result = new List<(string, nn.Module<Tensor, Tensor>)>();
        int index = 0;
        foreach (int channels in configuration)
        {
            if (channels == 0)
            {
                result.Add((Name(index++), nn.MaxPool2d(2, 2)));
                continue;
            }
            result.Add((Name(index++), nn.Conv2d(inChannels, channels, 3, padding: 1)));
            result.Add((Name(index++), nn.ReLU()));
            inChannels = channels;
        }
        return result;

        static string Name(int i) => i.ToString(CultureInfo.InvariantCulture);
    }
}
