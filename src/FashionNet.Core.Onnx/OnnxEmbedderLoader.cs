using FashionNet.Model.Export;

namespace FashionNet.Inference.Onnx;

/// <summary>
/// Loads the ONNX Runtime embedders: <see cref="OnnxFashionNetEmbedder"/> and <see cref="OnnxBaselineEmbedder"/>; with
/// calibration images, a checkpoint loads with its convolutions in int8 (<see cref="FashionNetOnnxExporter.ExportInt8"/>).
/// </summary>
/// <param name="options">Threads and waiting (default <see cref="OnnxRuntimeOptions.Default"/>).</param>
/// <param name="int8CalibrationImages">Image files that calibrate int8 (<see cref="OnnxInt8Calibration.ImagesFrom"/>); null for float32.</param>
public sealed class OnnxEmbedderLoader(OnnxRuntimeOptions? options = null, IReadOnlyList<string>? int8CalibrationImages = null) : IEmbedderLoader
{
    /// <summary>How ONNX Runtime runs the networks.</summary>
    public OnnxRuntimeOptions Options { get; } = options ?? OnnxRuntimeOptions.Default;

    /// <summary>The images that calibrate int8, or null when checkpoints load in float32.</summary>
    public IReadOnlyList<string>? Int8CalibrationImages { get; } = int8CalibrationImages;

    /// <inheritdoc/>
    public IImageEmbedder LoadCheckpoint(string path)
    {
        if (Int8CalibrationImages is null) return OnnxFashionNetEmbedder.FromCheckpoint(path, Options);
        using var source = FashionNetEmbedder.FromCheckpoint(path);
        return OnnxFashionNetEmbedder.QuantizedFromEmbedder(source, Int8CalibrationImages, Options);
    }

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">The loader quantizes to int8, which this library does for FashionNet checkpoints only.</exception>
    public IImageEmbedder LoadBaseline() => Int8CalibrationImages is null
        ? OnnxBaselineEmbedder.Load(options: Options)
        : throw new NotSupportedException("Int8 applies to FashionNet checkpoints; the ImageNet baseline runs in float32 (leave out the calibration images).");
}
