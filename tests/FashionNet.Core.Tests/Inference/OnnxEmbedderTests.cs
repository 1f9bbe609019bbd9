using FashionNet.Data.Loading;
using FashionNet.Inference;
using FashionNet.Inference.Onnx;
using FashionNet.Model.Export;
using Microsoft.ML.OnnxRuntime;
using FashionNet.Model.Pretrained;
using FashionNet.Retrieval;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace FashionNet.Tests.Inference;

/// <summary>The inference fixture's checkpoint exported to ONNX Runtime once (the export and session take seconds), shared by the tests.</summary>
public sealed class OnnxInferenceFixture : IDisposable
{
    private readonly Lazy<OnnxFashionNetEmbedder> _onnx;

    public OnnxInferenceFixture() => _onnx = new(() => OnnxFashionNetEmbedder.FromCheckpoint(Inference.CheckpointPath, new OnnxRuntimeOptions { Threads = 1 }));

    public InferenceFixture Inference { get; } = new();

    /// <summary>The ONNX Runtime embedder of <see cref="InferenceFixture.CheckpointPath"/>, on one thread.</summary>
    public OnnxFashionNetEmbedder Onnx => _onnx.Value;

    public void Dispose()
    {
        if (_onnx.IsValueCreated) _onnx.Value.Dispose();
        Inference.Dispose();
    }
}

/// <summary>The ONNX Runtime embedders (FashionNet.Core.Onnx) against the LibTorch ones they are exported from.</summary>
public sealed class OnnxEmbedderTests(OnnxInferenceFixture shared, ITestOutputHelper output) : IClassFixture<OnnxInferenceFixture>
{
    private readonly InferenceFixture fixture = shared.Inference;

    private string[] Photos(int count) => [.. fixture.Gallery.Take(count).Select(i => fixture.Dataset.ImageFullPath(fixture.Dataset.Samples[i]))];

    [Fact]
    public void A_checkpoint_embeds_as_with_LibTorch_under_the_same_fingerprint()
    {
        using var torchEmbedder = fixture.LoadEmbedder();
        var onnx = shared.Onnx;

        using var expected = ImageEmbedding.EmbedImages(torchEmbedder, Photos(6), new EmbeddingOptions { BatchSize = 4 });
        using var actual = ImageEmbedding.EmbedImages(onnx, Photos(6), new EmbeddingOptions { BatchSize = 4 });

        float difference = (expected - actual).abs().max().item<float>();
        output.WriteLine($"max |LibTorch - ONNX Runtime| embedding = {difference:E2} over 6 images");
        Assert.True(difference <= 1e-5f, $"embeddings differ by {difference:E2}");
        Assert.Equal(torchEmbedder.Fingerprint, onnx.Fingerprint);
        Assert.Equal(torchEmbedder.ModelPath, onnx.ModelPath);
        Assert.Equal((torchEmbedder.ImageSize, torchEmbedder.Dimension), (onnx.ImageSize, onnx.Dimension));
        Assert.Same(torchEmbedder.Normalizer.GetType(), onnx.Normalizer.GetType());
    }

    [Fact]
    public void Predictions_give_the_LibTorch_landmarks_visibility_and_categories()
    {
        using var torchEmbedder = fixture.LoadEmbedder();
        var onnx = shared.Onnx;
        using var images = randn(3, 3, 64, 64);

        var expected = torchEmbedder.Predict(images, topCategories: 2);
        var actual = onnx.Predict(images, topCategories: 2);

        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Embedding, actual[i].Embedding, (a, b) => Math.Abs(a - b) <= 1e-5f);
            Assert.Equal(expected[i].Landmarks.Select(l => (l.Slot, l.Visible)), actual[i].Landmarks.Select(l => (l.Slot, l.Visible)));
            Assert.Equal(expected[i].Landmarks, actual[i].Landmarks, (a, b) =>
                Math.Abs(a.X - b.X) <= 1e-5f && Math.Abs(a.Y - b.Y) <= 1e-5f && Math.Abs(a.VisibilityProbability - b.VisibilityProbability) <= 1e-5f);
            Assert.Equal(expected[i].TopCategories.Select(c => c.Label), actual[i].TopCategories.Select(c => c.Label));
            Assert.Equal(expected[i].TopCategories, actual[i].TopCategories, (a, b) => Math.Abs(a.Probability - b.Probability) <= 1e-5f);
        }
    }

    [Fact]
    public void An_index_built_with_LibTorch_is_searched_through_ONNX_Runtime_without_naming_the_checkpoint()
    {
        string indexPath = fixture.NewPath("built-with-libtorch.idx");
        var photos = Photos(3);
        using (var torchEmbedder = fixture.LoadEmbedder())
            VisualSearch.BuildIndex(indexPath, torchEmbedder, [new GalleryImage(photos[0], "a"), new GalleryImage(photos[1], "b"), new GalleryImage(photos[2], "c")]);

        using var loaded = VisualSearch.LoadEmbedderFor(indexPath, loader: new OnnxEmbedderLoader());
        Assert.IsType<OnnxFashionNetEmbedder>(loaded);
        using var search = VisualSearch.Open(indexPath, loaded);
        Assert.Equal("b", search.Query(photos[1], top: 1)[0].ItemId);
    }

    [Fact]
    public void Images_of_another_size_are_refused_with_the_expected_shape()
    {
        var onnx = shared.Onnx;

        var error = Assert.Throws<ArgumentException>(() => onnx.Embed(zeros(2, 3, 32, 32)));
        Assert.Contains("Expected images [N, 3, 64, 64], got [2, 3, 32, 32]", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new OnnxRuntimeOptions { Threads = 0 }.Validate());
    }

    [Fact]
    public void Int8_calibrated_on_gallery_photos_embeds_near_the_float_model_with_integer_convolutions()
    {
        using var torchEmbedder = fixture.LoadEmbedder();
        var options = new OnnxRuntimeOptions { Threads = 1 };
        var calibration = FashionDataLoader.ForEvaluation(fixture.Dataset, [.. fixture.Gallery], torchEmbedder.ImageSize, torchEmbedder.Normalizer, 8).ReadEpoch(0).ToList();
        IReadOnlyList<OnnxActivationRange> ranges;
        OnnxFashionNetEmbedder int8;
        try
        {
            ranges = OnnxInt8Calibration.MeasureRanges(torchEmbedder.Model, torchEmbedder.ImageSize, calibration.Select(b => b.Images), options);
            int8 = OnnxFashionNetEmbedder.QuantizedFromEmbedder(torchEmbedder, calibration.Select(b => b.Images), options);
        }
        finally
        {
            foreach (var batch in calibration) batch.Dispose();
        }
        using var quantized = int8;

        using var expected = ImageEmbedding.EmbedImages(shared.Onnx, Photos(6));
        using var actual = ImageEmbedding.EmbedImages(quantized, Photos(6));

        var cosines = (expected * actual).sum(1).data<float>().ToArray();
        output.WriteLine($"cosine(float, int8) over 6 photos: {string.Join(" ", cosines.Select(c => c.ToString("F4")))}");
        Assert.All(cosines, c => Assert.True(c >= 0.99f, $"cosine {c:F4}"));
        Assert.True(quantized.IsInt8);
        Assert.Equal(shared.Onnx.Fingerprint, quantized.Fingerprint);

        // ONNX Runtime fuses the QDQ pairs into integer operators: no float convolution is left.
        string optimized = fixture.NewPath("int8-optimized.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(optimized)!);
        using (var sessionOptions = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, OptimizedModelFilePath = optimized })
        using (new InferenceSession(FashionNetOnnxExporter.ExportInt8(torchEmbedder.Model, ranges), sessionOptions))
        {
        }
        var operators = OnnxOperatorCounts(File.ReadAllBytes(optimized));
        output.WriteLine(string.Join(", ", operators.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}")));
        Assert.True(operators.GetValueOrDefault("QLinearConv") > 0, "no QLinearConv");
        Assert.Equal(0, operators.GetValueOrDefault("Conv"));
    }

    [SkippableFact]
    public void The_baseline_embeds_as_with_LibTorch_under_the_same_fingerprint()
    {
        Skip.IfNot(ImageNetWeights.Exist(), $"ImageNet ResNet18 ONNX files not found under '{ImageNetWeights.DefaultDirectory}'; skipped.");
        using var torchEmbedder = ImageNetBaselineEmbedder.Load();
        using var onnx = OnnxBaselineEmbedder.Load();

        using var expected = ImageEmbedding.EmbedImages(torchEmbedder, Photos(2));
        using var actual = ImageEmbedding.EmbedImages(onnx, Photos(2));

        float difference = (expected - actual).abs().max().item<float>();
        output.WriteLine($"max |LibTorch - ONNX Runtime| baseline embedding = {difference:E2} over 2 images");
        Assert.True(difference <= 1e-5f, $"embeddings differ by {difference:E2}");
        Assert.Equal(torchEmbedder.Fingerprint, onnx.Fingerprint);
        Assert.Equal((224, 512), (onnx.ImageSize, onnx.Dimension));
    }

    /// <summary>The operator types of an ONNX model's main graph, counted (a minimal protobuf walk: ModelProto.graph, GraphProto.node, NodeProto.op_type).</summary>
    private static Dictionary<string, int> OnnxOperatorCounts(byte[] model)
    {
        var counts = new Dictionary<string, int>();
        foreach (var graph in Fields(model, 7))
        foreach (var node in Fields(graph, 1))
        foreach (var opType in Fields(node, 4))
        {
            string name = System.Text.Encoding.UTF8.GetString(opType);
            counts[name] = counts.GetValueOrDefault(name) + 1;
        }
        return counts;
    }

    /// <summary>The length-delimited fields numbered <paramref name="field"/> of a protobuf message.</summary>
    private static IEnumerable<byte[]> Fields(byte[] message, int field)
    {
        int position = 0;
        long Varint()
        {
            long value = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = message[position++];
                value |= (long)(b & 0x7f) << shift;
                if (b < 0x80) return value;
            }
        }
        var found = new List<byte[]>();
        while (position < message.Length)
        {
            long key = Varint();
            switch (key & 7)
            {
                case 0: Varint(); break;
                case 1: position += 8; break;
                case 5: position += 4; break;
                case 2:
                    int length = (int)Varint();
                    if (key >> 3 == field) found.Add(message[position..(position + length)]);
                    position += length;
                    break;
                default: throw new InvalidDataException($"protobuf wire type {key & 7} at byte {position}");
            }
        }
        return found;
    }
}
