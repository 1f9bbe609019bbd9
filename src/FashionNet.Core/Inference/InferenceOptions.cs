using FashionNet.Model;

namespace FashionNet.Inference;

/// <summary>How an embedder runs its network. The defaults are the library's reference behaviour.</summary>
public sealed record InferenceOptions
{
    /// <summary>The defaults.</summary>
    public static InferenceOptions Default { get; } = new();

    /// <summary>
    /// Memory layout of the convolution weights and the images (default <see cref="TensorMemoryFormat.Contiguous"/>).
    /// <see cref="TensorMemoryFormat.ChannelsLast"/> computes the same float32 functions with the additions in another
    /// order, so embeddings agree with the default's to float32 rounding, and runs faster on LibTorch's CPU backend
    /// (measured in benchmarks/README.md, "Peers"). The embedder re-lays the model's weights in place
    /// (<see cref="TensorMemoryFormats.ApplyMemoryFormat"/>), and TorchSharp's <c>Module.save</c> (hence a checkpoint)
    /// refuses channels-last tensors: use it for a model that is only embedded with, such as one loaded from a checkpoint.
    /// </summary>
    public TensorMemoryFormat MemoryFormat { get; init; } = TensorMemoryFormat.Contiguous;

    /// <summary>Where the network runs: the CPU when null, or a CUDA device (<see cref="Diagnostics.ComputeDevice"/>).</summary>
    public TorchSharp.torch.Device? Device { get; init; }

    /// <summary>Checks the options, naming the bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option has an undefined value.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(MemoryFormat)) throw new ArgumentOutOfRangeException(nameof(MemoryFormat), MemoryFormat, "Undefined memory format.");
    }
}
