namespace FashionNet.Inference;

/// <summary>
/// Loads embedders by what names them, a checkpoint file or the built-in baseline, on one runtime: LibTorch
/// (<see cref="TorchEmbedderLoader"/>) or ONNX Runtime (the FashionNet.Core.Onnx package's loader). Lets an application
/// choose the runtime once and still open a gallery without naming its model
/// (<see cref="VisualSearch.LoadEmbedderFor(Retrieval.IGalleryStore, TorchSharp.torch.Device, IEmbedderLoader)"/>).
/// </summary>
public interface IEmbedderLoader
{
    /// <summary>The embedder of a FashionNet checkpoint.</summary>
    /// <param name="path">The checkpoint file.</param>
    IImageEmbedder LoadCheckpoint(string path);

    /// <summary>The built-in off-the-shelf baseline, <see cref="ImageNetBaselineEmbedder.Name"/>.</summary>
    IImageEmbedder LoadBaseline();
}

/// <summary>Loads the LibTorch embedders: <see cref="FashionNetEmbedder"/> and <see cref="ImageNetBaselineEmbedder"/>.</summary>
/// <param name="options">How and where they run (default <see cref="InferenceOptions.Default"/>).</param>
public sealed class TorchEmbedderLoader(InferenceOptions? options = null) : IEmbedderLoader
{
    /// <summary>How and where the embedders run.</summary>
    public InferenceOptions Options { get; } = options ?? InferenceOptions.Default;

    /// <inheritdoc/>
    public IImageEmbedder LoadCheckpoint(string path) => FashionNetEmbedder.FromCheckpoint(path, Options);

    /// <inheritdoc/>
    public IImageEmbedder LoadBaseline() => ImageNetBaselineEmbedder.Load(options: Options);
}
