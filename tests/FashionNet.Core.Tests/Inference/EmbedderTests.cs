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
