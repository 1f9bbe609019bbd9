using System.Runtime.InteropServices;
using FashionNet.Data.Annotations;
using FashionNet.Data.Loading;
using FashionNet.Inference;
using FashionNet.Model.Pretrained;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace FashionNet.Peers;

/// <summary>
/// The ImageNet baseline as an ONNX Runtime user runs it: the package's own two graphs, <c>ResNetPreprocess.onnx</c>
/// (RGB 0..255 to BGR minus the mean image) and <c>ResNet18.onnx</c> (to the 512-d pooled features), then L2
/// normalization. Both graphs fix the batch dimension at 1, so images go through one at a time. The images come from the
/// library's loader (the same decoding and 224 x 224 framing as the baseline embedder's, without its normalization), so
/// the two sides compute the same embeddings from the same pixels.
/// </summary>
internal sealed class OnnxRuntimeBaseline : IDisposable
{
    private const int Size = 224; // the graphs' fixed input, the baseline embedder's ImageSize
    private readonly InferenceSession _preprocess;
    private readonly InferenceSession _network;
    private readonly RunOptions _run = new();
    private readonly float[] _pixels = new float[3 * Size * Size];

    /// <param name="threads">ONNX Runtime's intra-op threads.</param>
    /// <param name="spinning">
    /// Whether ONNX Runtime's threads spin while they wait (its default), the counterpart of OpenMP's
    /// <c>OMP_WAIT_POLICY=ACTIVE</c>; the comparison gives ONNX Runtime the wait policy LibTorch has.
    /// </param>
    public OnnxRuntimeBaseline(int threads, bool spinning)
    {
        using var options = new SessionOptions { IntraOpNumThreads = threads, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", spinning ? "1" : "0");
        _preprocess = new InferenceSession(ImageNetWeights.PreprocessPath(), options);
        _network = new InferenceSession(ImageNetWeights.ResNet18Path(), options);
        Threads = threads;
        Spinning = spinning;
    }

    /// <summary>ONNX Runtime's intra-op threads.</summary>
    public int Threads { get; }

    /// <summary>Whether ONNX Runtime's threads spin while they wait.</summary>
    public bool Spinning { get; }

    /// <summary>The embeddings <c>[count, 512]</c> of dataset samples, in order, decoding on the loader's background workers.</summary>
    public Tensor EmbedSamples(FashionDataset dataset, IReadOnlyList<int> indices, EmbeddingOptions options)
    {
        var loader = FashionDataLoader.ForEvaluation(dataset, indices, Size, normalizer: null, options.BatchSize, options.Loader);
        var embeddings = new float[indices.Count * 512];
        int row = 0;
        foreach (var batch in loader.ReadEpoch(0))
        {
            using (batch)
            {
                var planes = MemoryMarshal.Cast<byte, float>(batch.Images.bytes);
                for (int i = 0; i < batch.Count; i++, row++)
                {
                    planes.Slice(i * _pixels.Length, _pixels.Length).CopyTo(_pixels);
                    EmbedOne(embeddings.AsSpan(row * 512, 512));
                }
            }
        }
        return tensor(embeddings, [indices.Count, 512L]);
    }

    private void EmbedOne(Span<float> embedding)
    {
        long[] shape = [1, 3, Size, Size];
        using var input = OrtValue.CreateTensorValueFromMemory(_pixels, shape);
        using var prepared = _preprocess.Run(_run, [_preprocess.InputNames[0]], [input], [_preprocess.OutputNames[0]]);
        using var features = _network.Run(_run, [_network.InputNames[0]], [prepared[0]], [_network.OutputNames[0]]);
        var values = features[0].GetTensorDataAsSpan<float>();
        if (values.Length != embedding.Length) throw new InvalidDataException($"ResNet18.onnx gave {values.Length} features, expected {embedding.Length}.");
        double squares = 0;
        foreach (float v in values) squares += (double)v * v;
        float scale = (float)(1 / Math.Max(Math.Sqrt(squares), 1e-12));
        for (int i = 0; i < values.Length; i++) embedding[i] = values[i] * scale;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _network.Dispose();
        _preprocess.Dispose();
        _run.Dispose();
    }
}
