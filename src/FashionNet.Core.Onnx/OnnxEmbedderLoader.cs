namespace FashionNet.Inference.Onnx;

/// <summary>Loads the ONNX Runtime embedders: <see cref="OnnxFashionNetEmbedder"/> and <see cref="OnnxBaselineEmbedder"/>.</summary>
/// <param name="options">Threads and waiting (default <see cref="OnnxRuntimeOptions.Default"/>).</param>
public sealed class OnnxEmbedderLoader(OnnxRuntimeOptions? options = null) : IEmbedderLoader
{
    /// <summary>How ONNX Runtime runs the networks.</summary>
    public OnnxRuntimeOptions Options { get; } = options ?? OnnxRuntimeOptions.Default;

    /// <inheritdoc/>
    public IImageEmbedder LoadCheckpoint(string path) => OnnxFashionNetEmbedder.FromCheckpoint(path, Options);

    /// <inheritdoc/>
    public IImageEmbedder LoadBaseline() => OnnxBaselineEmbedder.Load(options: Options);
}
