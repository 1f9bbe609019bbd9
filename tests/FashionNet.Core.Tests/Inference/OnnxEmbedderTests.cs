using FashionNet.Inference;
using FashionNet.Inference.Onnx;
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
}
