using System.Runtime.InteropServices;
using FashionNet.Model.Export;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace FashionNet.Inference.Onnx;

/// <summary>
/// One exported network in an ONNX Runtime session: takes a batch of images as a TorchSharp tensor, gives named outputs
/// as CPU float32 tensors. <see cref="Run"/> may be called from many threads at once (ONNX Runtime's sessions allow it).
/// </summary>
internal sealed class OnnxModelSession : IDisposable
{
    private readonly InferenceSession _session;

    /// <param name="model">The ONNX model (from <see cref="FashionNetOnnxExporter"/>): input <see cref="FashionNetOnnxExporter.ImagesInput"/>.</param>
    /// <param name="imageSize">The square input size the model was exported for.</param>
    /// <param name="options">Threads and waiting.</param>
    public OnnxModelSession(byte[] model, int imageSize, OnnxRuntimeOptions options)
    {
        options.Validate();
        ImageSize = imageSize;
        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.Threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
        _session = new InferenceSession(model, sessionOptions);
    }

    /// <summary>The square input size in pixels.</summary>
    public int ImageSize { get; }

    /// <summary>Runs the network on <paramref name="images"/> <c>[N, 3, ImageSize, ImageSize]</c> and returns the outputs named, in order.</summary>
    /// <exception cref="ArgumentException">The images do not have the input's shape.</exception>
    public Tensor[] Run(Tensor images, params string[] outputs)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[0] < 1 || images.shape[1] != 3 || images.shape[2] != ImageSize || images.shape[3] != ImageSize)
            throw new ArgumentException($"Expected images [N, 3, {ImageSize}, {ImageSize}], got [{string.Join(", ", images.shape)}].", nameof(images));
        float[] pixels;
        // to(), cpu() and contiguous() may each make a tensor (or return the input itself): the scope disposes the new
        // ones and leaves the caller's.
        using (NewDisposeScope()) pixels = MemoryMarshal.Cast<byte, float>(images.to(ScalarType.Float32).cpu().contiguous().bytes).ToArray();
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, images.shape);
        using var run = new RunOptions();
        using var results = _session.Run(run, [FashionNetOnnxExporter.ImagesInput], [input], outputs);
        return [.. results.Select(result => tensor(result.GetTensorDataAsSpan<float>().ToArray(), result.GetTensorTypeAndShape().Shape))];
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}
