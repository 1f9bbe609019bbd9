using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Model.Backbones;

/// <summary>
/// A convolutional backbone split the way FashionNet uses it: a shared <em>trunk</em> (up to the "conv4" map that
/// landmark pooling reads) and a <em>final stage</em> ("conv5": ResNet's layer4, VGG's pool4..pool5) that every branch
/// owns a copy of. As a module on its own, <see cref="forward"/> is the off-the-shelf feature extractor:
/// trunk, final stage and global average pooling, <c>[N, 3, H, W] -> [N, FinalStageChannels]</c>.
/// Submodules keep PyTorch's names (<c>conv1</c>, <c>layer1.0.conv1</c>, <c>features.0</c>, ...), so torchvision state
/// dicts load with <see cref="LoadPyTorchStateDict"/>.
/// </summary>
public abstract class Backbone : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the module with its TorchSharp name.</summary>
    protected Backbone(string name) : base(name)
    {
    }

    /// <summary>Channels of the trunk's output map (the "conv4" map): <c>ChannelsOf(BackboneMap.Trunk)</c>.</summary>
    public int TrunkChannels => ChannelsOf(BackboneMap.Trunk);

    /// <summary>Channels of the final stage's output map.</summary>
    public abstract int FinalStageChannels { get; }

    /// <summary>Whether the trunk's parameters are frozen (see <see cref="FreezeTrunk"/>).</summary>
    public bool IsTrunkFrozen { get; private set; }

    /// <summary>Channels of <paramref name="map"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="map"/> is not a defined <see cref="BackboneMap"/>.</exception>
    public abstract int ChannelsOf(BackboneMap map);

    /// <summary>Input pixels per cell of <paramref name="map"/> along each axis.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="map"/> is not a defined <see cref="BackboneMap"/>.</exception>
    public abstract int StrideOf(BackboneMap map);

    /// <summary>
    /// Images <c>[N, 3, H, W]</c> to the trunk's map <c>[N, TrunkChannels, H / StrideOf(Trunk), W / StrideOf(Trunk)]</c>.
    /// </summary>
    public Tensor ForwardTrunk(Tensor images)
    {
        using var scope = NewDisposeScope();
        return RunTrunk(images, out _).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Images <c>[N, 3, H, W]</c> to the trunk's map and the stride-8 map, from one pass: the stride-8 map is the
    /// trunk's intermediate result (ResNet's layer2) or the trunk map itself (VGG16), never computed twice.
    /// </summary>
    public TrunkMaps ForwardTrunkMaps(Tensor images)
    {
        using var scope = NewDisposeScope();
        var trunk = RunTrunk(images, out var stride8).MoveToOuterDisposeScope();
        // Moving the same tensor twice would carry it past the caller's scope.
        if (!ReferenceEquals(stride8, trunk)) stride8.MoveToOuterDisposeScope();
        return new TrunkMaps(trunk, stride8);
    }

    /// <summary>The backbone's own final stage applied to a trunk map.</summary>
    public abstract Tensor ForwardFinalStage(Tensor trunkFeatures);

    /// <summary>
    /// A new module with the final stage's architecture and a copy of its current weights (and batch-norm statistics):
    /// each FashionNet branch owns one, all starting from the same (e.g. ImageNet) weights.
    /// </summary>
    public abstract nn.Module<Tensor, Tensor> CloneFinalStage();

    /// <summary>The modules that make up the trunk (frozen together by <see cref="FreezeTrunk"/>).</summary>
    protected abstract IEnumerable<nn.Module> TrunkModules();

    /// <summary>
    /// Runs the trunk once (the caller holds a dispose scope): returns the trunk map and sets
    /// <paramref name="stride8Map"/> to the stride-8 map it passed through, or to the returned tensor itself.
    /// </summary>
    protected abstract Tensor RunTrunk(Tensor images, out Tensor stride8Map);

    /// <summary>The error for a value outside <see cref="BackboneMap"/>.</summary>
    internal static ArgumentOutOfRangeException UndefinedMap(BackboneMap map) =>
        new(nameof(map), map, "Undefined backbone map.");

    /// <summary>
    /// Freezes (or unfreezes) the trunk: its parameters stop requiring gradients and its batch-norm layers stay in
    /// evaluation mode (running statistics no longer move) even when the model is put in training mode.
    /// </summary>
    public void FreezeTrunk(bool frozen = true)
    {
        IsTrunkFrozen = frozen;
        foreach (var module in TrunkModules())
        {
            foreach (var parameter in module.parameters()) parameter.requires_grad = !frozen;
        }
        train(training);
    }

    /// <inheritdoc />
    public override void train(bool train = true)
    {
        base.train(train);
        if (!IsTrunkFrozen) return;
        foreach (var module in TrunkModules()) module.eval();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var map = ForwardFinalStage(ForwardTrunk(images));
        return nn.functional.adaptive_avg_pool2d(map, 1).flatten(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Loads a PyTorch state dict file (<c>torch.save(model.state_dict(), path)</c> of a torchvision model) through
    /// TorchSharp.PyBridge. Every parameter and buffer of this backbone must be in the file with the same shape;
    /// entries the backbone has no use for (torchvision's classifier head <c>fc.*</c> / <c>classifier.*</c>) are
    /// skipped and returned. Parameters keep their current <c>requires_grad</c>.
    /// </summary>
    /// <returns>The names of the file's entries that were not loaded.</returns>
    public IReadOnlyList<string> LoadPyTorchStateDict(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"PyTorch state dict '{path}' not found.", path);
        System.Collections.IDictionary source;
        try
        {
            source = TorchSharp.PyBridge.PyTorchUnpickler.UnpickleStateDict(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"'{path}' is not a readable PyTorch state dict file: {e.Message}", e);
        }
        try
        {
            return StateDictCopier.CopyInto(this, source, path);
        }
        finally
        {
            foreach (var value in source.Values) (value as IDisposable)?.Dispose();
        }
    }
}
