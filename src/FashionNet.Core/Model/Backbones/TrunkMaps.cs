using static TorchSharp.torch;

namespace FashionNet.Model.Backbones;

/// <summary>
/// The maps of one trunk pass (<see cref="Backbone.ForwardTrunkMaps"/>). Where a backbone's stride-8 map is its trunk
/// map (VGG16), both properties are the same tensor. The tensors belong to the dispose scope that was current when
/// the maps were made; disposing the maps disposes them earlier.
/// </summary>
public sealed class TrunkMaps : IDisposable
{
    internal TrunkMaps(Tensor trunk, Tensor stride8)
    {
        Trunk = trunk;
        Stride8 = stride8;
    }

    /// <summary>The trunk's output <c>[N, ChannelsOf(Trunk), H / StrideOf(Trunk), W / StrideOf(Trunk)]</c>.</summary>
    public Tensor Trunk { get; }

    /// <summary>The stride-8 map <c>[N, ChannelsOf(Stride8), H / 8, W / 8]</c>.</summary>
    public Tensor Stride8 { get; }

    /// <summary>The map named by <paramref name="map"/>.</summary>
    public Tensor this[BackboneMap map] => map switch
    {
        BackboneMap.Trunk => Trunk,
        BackboneMap.Stride8 => Stride8,
        _ => throw Backbone.UndefinedMap(map),
    };

    /// <inheritdoc />
    public void Dispose()
    {
        // Disposing a tensor twice (the shared VGG16 map) is a no-op, as IDisposable requires.
        Stride8.Dispose();
        Trunk.Dispose();
    }
}
