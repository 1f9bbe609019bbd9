using FashionNet.Data.Imaging;
using FashionNet.Model;
using FashionNet.Model.Export;
using static TorchSharp.torch;

namespace FashionNet.Inference.Onnx;

/// <summary>
/// A trained FashionNet run by ONNX Runtime: the checkpoint's model exported in memory by
/// <see cref="FashionNetOnnxExporter"/> (batch normalization folded, the same landmark pooling), giving the embeddings,
/// landmarks, visibility and categories of <see cref="FashionNetEmbedder"/> computed with other roundings. It carries
/// the same <see cref="Fingerprint"/> as the <see cref="FashionNetEmbedder"/> of the same weights, so an index built by
/// either is searched by the other: the tests (OnnxExportTests, OnnxEmbedderTests) compare the two and find the
/// embeddings within 1e-5 of each other. That is not a bound for every image: a predicted landmark within rounding of
/// a feature-cell border, or a visibility probability at the gate's threshold (ONNX Runtime's sigmoid is an
/// approximation), can pool another cell or gate the slot the other way, and that image's embedding then differs by
/// more. Such images are rare (the tests' images have none); <c>recall --runtimes torch,onnx</c> in
/// benchmarks/FashionNet.Peers counts the retrieval queries whose first hit they move.
/// Runs on the CPU only; <see cref="Embed"/> and <see cref="Predict"/> may be called from many threads at once.
/// </summary>
public sealed class OnnxFashionNetEmbedder : IImagePredictor
{
    private readonly OnnxModelSession _session;
    private readonly float _visibilityThreshold;

    private OnnxFashionNetEmbedder(FashionNetEmbedder source, byte[] model, bool isInt8, OnnxRuntimeOptions options)
    {
        _session = new OnnxModelSession(model, source.ImageSize, options);
        IsInt8 = isInt8;
        Options = options;
        Fingerprint = source.Fingerprint;
        Normalizer = source.Normalizer;
        Dimension = source.Dimension;
        ModelPath = source.ModelPath;
        Recipe = source.Recipe;
        _visibilityThreshold = source.Model.Options.VisibilityThreshold;
    }

    /// <summary>How ONNX Runtime runs the network.</summary>
    public OnnxRuntimeOptions Options { get; }

    /// <summary>Whether the convolutional network runs in int8 (<c>QuantizedFromEmbedder</c>).</summary>
    public bool IsInt8 { get; }

    /// <summary>The recipe of the model.</summary>
    public ModelRecipe Recipe { get; }

    /// <inheritdoc/>
    public string Fingerprint { get; }

    /// <inheritdoc/>
    public int ImageSize => _session.ImageSize;

    /// <inheritdoc/>
    public IImageNormalizer Normalizer { get; }

    /// <inheritdoc/>
    public int Dimension { get; }

    /// <inheritdoc/>
    public string? ModelPath { get; }

    /// <summary>Loads a checkpoint (as <see cref="FashionNetEmbedder.FromCheckpoint"/> does) and exports its model to ONNX Runtime.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="options">Threads and waiting (default <see cref="OnnxRuntimeOptions.Default"/>).</param>
    /// <exception cref="FileNotFoundException">The checkpoint does not exist.</exception>
    /// <exception cref="Checkpoints.CheckpointFormatException">The file is not a FashionNet checkpoint of this format version.</exception>
    /// <exception cref="NotSupportedException">The model's backbone cannot be exported (only ResNets can).</exception>
    public static OnnxFashionNetEmbedder FromCheckpoint(string path, OnnxRuntimeOptions? options = null)
    {
        using var source = FashionNetEmbedder.FromCheckpoint(path);
        return FromEmbedder(source, options);
    }

    /// <summary>
    /// The ONNX Runtime counterpart of a LibTorch embedder: its model exported as it is now, with its normalizer,
    /// fingerprint and model path. The source stays the caller's (it may be disposed afterwards).
    /// </summary>
    /// <param name="source">The LibTorch embedder.</param>
    /// <param name="options">Threads and waiting (default <see cref="OnnxRuntimeOptions.Default"/>).</param>
    /// <exception cref="NotSupportedException">The model's backbone cannot be exported (only ResNets can).</exception>
    public static OnnxFashionNetEmbedder FromEmbedder(FashionNetEmbedder source, OnnxRuntimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new OnnxFashionNetEmbedder(source, FashionNetOnnxExporter.Export(source.Model), isInt8: false, options ?? OnnxRuntimeOptions.Default);
    }

    /// <summary>
    /// The ONNX Runtime counterpart of a LibTorch embedder with its convolutional network in int8
    /// (<see cref="FashionNetOnnxExporter.ExportInt8"/>), calibrated on <paramref name="calibrationImages"/>: faster on a
    /// CPU with int8 dot products (AVX-512 VNNI, AVX-VNNI), and its embeddings differ from the float model's by more than
    /// rounding, so measure retrieval with it first. It keeps the source's fingerprint: an index built by the float model is
    /// searched with int8 queries at the quality measured. The source stays the caller's.
    /// </summary>
    /// <param name="source">The LibTorch embedder.</param>
    /// <param name="calibrationImages">Batches of images prepared as the source prepares them (its normalizer and size), from the
    /// data the model will see (a few hundred training images); they set each activation's range.</param>
    /// <param name="options">Threads and waiting (default <see cref="OnnxRuntimeOptions.Default"/>).</param>
    /// <exception cref="ArgumentException">No calibration image was given.</exception>
    /// <exception cref="NotSupportedException">The model's backbone cannot be exported (only ResNets can).</exception>
    public static OnnxFashionNetEmbedder QuantizedFromEmbedder(FashionNetEmbedder source, IEnumerable<Tensor> calibrationImages, OnnxRuntimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        options ??= OnnxRuntimeOptions.Default;
        var ranges = OnnxInt8Calibration.MeasureRanges(source.Model, source.ImageSize, calibrationImages, options);
        return new OnnxFashionNetEmbedder(source, FashionNetOnnxExporter.ExportInt8(source.Model, ranges), isInt8: true, options);
    }

    /// <summary>
    /// <see cref="QuantizedFromEmbedder(FashionNetEmbedder, IEnumerable{Tensor}, OnnxRuntimeOptions?)"/> calibrated on
    /// image files, each prepared whole as the source prepares an image (its size and normalizer).
    /// </summary>
    /// <param name="source">The LibTorch embedder.</param>
    /// <param name="calibrationImagePaths">Image files like those the model will see (a few hundred).</param>
    /// <param name="options">Threads and waiting (default <see cref="OnnxRuntimeOptions.Default"/>).</param>
    /// <exception cref="ArgumentException">The list is empty.</exception>
    /// <exception cref="ImageDecodeException">An image is missing or cannot be decoded (the message names it).</exception>
    public static OnnxFashionNetEmbedder QuantizedFromEmbedder(FashionNetEmbedder source, IReadOnlyList<string> calibrationImagePaths, OnnxRuntimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(calibrationImagePaths);
        return QuantizedFromEmbedder(source, PreparedBatches(source, calibrationImagePaths), options);
    }

    /// <summary>The images prepared in batches of 32; each batch is disposed once the calibration asks for the next.</summary>
    private static IEnumerable<Tensor> PreparedBatches(FashionNetEmbedder source, IReadOnlyList<string> paths)
    {
        foreach (var chunk in paths.Chunk(32))
        {
            var pixels = chunk.SelectMany(path => PreparedImage.FromFile(path, source.ImageSize, source.Normalizer).Pixels).ToArray();
            using var batch = tensor(pixels, [chunk.Length, 3, source.ImageSize, source.ImageSize]);
            yield return batch;
        }
    }

    /// <inheritdoc/>
    public Tensor Embed(Tensor images) => _session.Run(images, FashionNetOnnxExporter.EmbeddingOutput)[0];

    /// <inheritdoc/>
    public IReadOnlyList<ImagePrediction> Predict(Tensor images, int topCategories = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(topCategories, 1);
        using var scope = NewDisposeScope();
        var outputs = _session.Run(images, FashionNetOnnxExporter.EmbeddingOutput, FashionNetOnnxExporter.LandmarksOutput,
            FashionNetOnnxExporter.VisibilityLogitsOutput, FashionNetOnnxExporter.CategoryLogitsOutput);
        return ImagePredictions.FromOutputs(outputs[0], outputs[1], outputs[2], outputs[3], _visibilityThreshold, topCategories);
    }

    /// <inheritdoc/>
    public void Dispose() => _session.Dispose();
}
