using FashionNet.Checkpoints;
using FashionNet.Data.Imaging;
using FashionNet.Model;
using FashionNet.Inference;
using FashionNet.Training;
using static TorchSharp.torch;

namespace FashionNet.Tests.Inference;

public sealed class EmbedderTests(InferenceFixture fixture) : IClassFixture<InferenceFixture>
{
    [Fact]
    public void CheckpointEmbedderRebuildsTheModelAndFingerprintsItsWeights()
    {
        using var first = fixture.LoadEmbedder();
        using var again = fixture.LoadEmbedder();
        using var otherWeights = FashionNetEmbedder.FromCheckpoint(fixture.SaveCheckpoint(fixture.Recipe, seed: 2));

        Assert.Equal(64, first.ImageSize);
        Assert.Equal(16, first.Dimension);
        Assert.StartsWith("fashionnet:", first.Fingerprint);
        Assert.Equal(first.Fingerprint, again.Fingerprint);
        // Same architecture, different weights: the fingerprint must tell them apart, or an index would mix them.
        Assert.NotEqual(first.Fingerprint, otherWeights.Fingerprint);
    }

    [Fact]
    public void EmbeddingsAreUnitRowsAndEqualForTheSameCheckpoint()
    {
        using var first = fixture.LoadEmbedder();
        using var again = fixture.LoadEmbedder();
        var paths = fixture.Gallery.Take(5).Select(i => fixture.Dataset.ImageFullPath(fixture.Dataset.Samples[i])).ToArray();

        using var a = ImageEmbedding.EmbedImages(first, paths, new EmbeddingOptions { BatchSize = 2 });
        using var b = ImageEmbedding.EmbedImages(again, paths, new EmbeddingOptions { BatchSize = 3 });

        Assert.Equal([5L, 16L], a.shape);
        Assert.True(a.norm(1).sub(1).abs().max().item<float>() < 1e-5f);
        Assert.True(a.allclose(b, rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void BatchedEmbeddingEqualsEmbeddingOneImageAtATime()
    {
        using var embedder = fixture.LoadEmbedder();
        var paths = fixture.Queries.Take(4).Select(i => fixture.Dataset.ImageFullPath(fixture.Dataset.Samples[i])).ToArray();

        using var batched = ImageEmbedding.EmbedImages(embedder, paths, new EmbeddingOptions { BatchSize = 3 });

        for (int i = 0; i < paths.Length; i++)
        {
            using var single = tensor(ImageEmbedding.EmbedImage(embedder, paths[i]));
            Assert.True(batched[i].allclose(single, rtol: 0, atol: 1e-5), $"image {i}");
        }
    }

    [Fact]
    public void ChannelsLastEmbedderGivesTheDefaultEmbeddingsUnderTheSameFingerprint()
    {
        using var contiguous = fixture.LoadEmbedder();
        using var channelsLast = FashionNetEmbedder.FromCheckpoint(fixture.CheckpointPath, new InferenceOptions { MemoryFormat = TensorMemoryFormat.ChannelsLast });
        var paths = fixture.Gallery.Take(6).Select(i => fixture.Dataset.ImageFullPath(fixture.Dataset.Samples[i])).ToArray();

        using var expected = ImageEmbedding.EmbedImages(contiguous, paths, new EmbeddingOptions { BatchSize = 3 });
        using var actual = ImageEmbedding.EmbedImages(channelsLast, paths, new EmbeddingOptions { BatchSize = 3 });

        var notRelaid = channelsLast.Model.named_parameters().Where(p => p.parameter.dim() == 4 && !TensorMemoryFormats.IsChannelsLast(p.parameter))
            .Select(p => $"{p.name} [{string.Join(",", p.parameter.shape)}] strides [{string.Join(",", p.parameter.stride())}]").ToArray();
        Assert.True(notRelaid.Length == 0, string.Join("; ", notRelaid));
        // By default the weights stay as they were loaded (a 1 x 1 kernel's weight is both layouts, a 3 x 3 kernel's is not).
        Assert.Contains(contiguous.Model.parameters(), p => p.dim() == 4 && !TensorMemoryFormats.IsChannelsLast(p));
        Assert.True(actual.allclose(expected, rtol: 0, atol: 1e-5), $"max difference {(actual - expected).abs().max().item<float>()}");
        // Same weights, same embeddings up to rounding: an index built with one serves the other.
        Assert.Equal(contiguous.Fingerprint, channelsLast.Fingerprint);
        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => FashionNetEmbedder.FromCheckpoint(fixture.CheckpointPath, new InferenceOptions { MemoryFormat = (TensorMemoryFormat)5 }));
        Assert.Contains(nameof(InferenceOptions.MemoryFormat), error.Message);
    }

    [SkippableFact]
    public void ChannelsLastBaselineGivesTheDefaultEmbeddings()
    {
        Skip.IfNot(FashionNet.Model.Pretrained.ImageNetWeights.Exist(), "ImageNet ResNet18 ONNX files not found; skipped.");
        using var contiguous = ImageNetBaselineEmbedder.Load();
        using var channelsLast = ImageNetBaselineEmbedder.Load(options: new InferenceOptions { MemoryFormat = TensorMemoryFormat.ChannelsLast });
        var indices = fixture.Queries.Take(3).ToArray();

        using var expected = ImageEmbedding.EmbedSamples(contiguous, fixture.Dataset, indices);
        using var actual = ImageEmbedding.EmbedSamples(channelsLast, fixture.Dataset, indices);

        Assert.Equal(TensorMemoryFormat.ChannelsLast, channelsLast.Options.MemoryFormat);
        Assert.True(actual.allclose(expected, rtol: 0, atol: 1e-5), $"max difference {(actual - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void ACheckpointThatIsNotFashionNetIsRefusedWithTheFileNamed()
    {
        string path = fixture.NewPath("foreign.ckpt");
        using (var layer = nn.Linear(2, 2))
        {
            CheckpointFile.Save(path, layer, ChannelNormalizer.ImageNet, null,
                new CheckpointMetadata("not a recipe", "{}", new TrainingProgress(1, 0, 0, null), DateTimeOffset.UnixEpoch));
        }

        var error = Assert.Throws<CheckpointFormatException>(() => FashionNetEmbedder.FromCheckpoint(path));
        Assert.Contains(path, error.Message);
        Assert.Throws<FileNotFoundException>(() => FashionNetEmbedder.FromCheckpoint(fixture.NewPath("missing.ckpt")));
    }
}
