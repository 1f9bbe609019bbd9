using static TorchSharp.torch;

namespace FashionNet.Retrieval;

/// <summary>A gallery of embeddings that a search reads one tile of consecutive entries at a time.</summary>
internal abstract class GalleryTiles
{
    /// <summary>Number of gallery entries.</summary>
    public abstract int Count { get; }

    /// <summary>Embedding dimension.</summary>
    public abstract int Dimension { get; }

    /// <summary>Entries <c>start .. start + length</c> as a float32 <c>[length, Dimension]</c> tensor on <paramref name="device"/>.</summary>
    public abstract Tensor Load(int start, int length, Device device);
}

/// <summary>A gallery held in a tensor: tiles are views of it.</summary>
internal sealed class TensorGalleryTiles(Tensor gallery) : GalleryTiles
{
    public override int Count => (int)gallery.shape[0];

    public override int Dimension => (int)gallery.shape[1];

    public override Tensor Load(int start, int length, Device device) => gallery.narrow(0, start, length).to(device);
}
