using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionNet.Retrieval;

/// <summary>A gallery of embeddings that a search reads one tile of consecutive entries at a time.</summary>
internal abstract class GalleryTiles
{
    /// <summary>Number of gallery entries.</summary>
    public abstract int Count { get; }

    /// <summary>Embedding dimension.</summary>
    public abstract int Dimension { get; }

    /// <summary>
    /// Address of entry 0 when the whole gallery lies row-major as float32 in CPU memory, valid for the whole search;
    /// 0 when it does not, and only <see cref="Load"/> can read it.
    /// </summary>
    public abstract nint HostAddress { get; }

    /// <summary>Entries <c>start .. start + length</c> as a float32 <c>[length, Dimension]</c> tensor on <paramref name="device"/>.</summary>
    public abstract Tensor Load(int start, int length, Device device);
}

/// <summary>A gallery held in a tensor: tiles are views of it.</summary>
internal sealed unsafe class TensorGalleryTiles(Tensor gallery) : GalleryTiles
{
    public override int Count => (int)gallery.shape[0];

    public override int Dimension => (int)gallery.shape[1];

    public override nint HostAddress { get; } =
        gallery.device_type == DeviceType.CPU && gallery.is_contiguous() && gallery.numel() * sizeof(float) <= int.MaxValue
            ? (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(gallery.bytes))
            : 0;

    public override Tensor Load(int start, int length, Device device) => gallery.narrow(0, start, length).to(device);
}
