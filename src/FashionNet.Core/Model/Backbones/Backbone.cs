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

    /// <summary>Channels of the trunk's output map (the "conv4" map).</summary>
    public abstract int TrunkChannels { get; }

    /// <summary>Input pixels per cell of the trunk's output map along each axis.</summary>
    public abstract int TrunkStride { get; }

    /// <summary>Channels of the final stage's output map.</summary>
    public abstract int FinalStageChannels { get; }

    /// <summary>Whether the trunk's parameters are frozen (see <see cref="FreezeTrunk"/>).</summary>
    public bool IsTrunkFrozen { get; private set; }

    /// <summary>Images <c>[N, 3, H, W]</c> to the trunk's map <c>[N, TrunkChannels, H / TrunkStride, W / TrunkStride]</c>.</summary>
    public abstract Tensor ForwardTrunk(Tensor images);

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
